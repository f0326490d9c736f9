"""What a server sent, made safe to print: secrets scrubbed, control characters shown, rich markup escaped.

Applied at the print boundary (console and CLI messages) to every text that may carry server content
(findings, messages, the operation name, the target): an ESC sequence can neither clear the screen nor set the
window title, and ``[/]cc-gaps`` is printed, not parsed as markup.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

from ..fhir.redact import scrub

# C0 controls except tab and newline, DEL, C1 controls, and the bidi overrides/isolates that reorder text
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: Any) -> str:
    """For output without markup (markup=False, click.echo): secrets and control characters neutralised."""
    return _UNSAFE.sub(_show, scrub(text if isinstance(text, str) else str(text)))


def markup_safe(text: Any) -> str:
    """For text placed inside rich markup (console.print with markup, table titles and cells)."""
    return escape(plain(text))
