"""Report size caps: the exchanges of failed, warned and errored tests stay whole (they are the evidence);
those of passed and skipped tests keep their method, URL, status and headers, and bodies cut to a preview.

A passing run's summary.json goes from ~20 MB (every exchange body, often the same answer attached to many
tests) to ~4 MB with every report; `ra-conform run --full-exchanges` keeps everything.
"""

from __future__ import annotations

from typing import Any

BODY_PREVIEW_CHARS = 512  # enough to see what an answer was; the exchanges of a passing run stay ~1 MB
KEEP_WHOLE = ("fail", "warn", "error")
BODY_KEYS = ("request_body", "response_body")


def cap_exchange(exchange: dict[str, Any], limit: int = BODY_PREVIEW_CHARS) -> dict[str, Any]:
    """A copy whose bodies over `limit` characters are cut, with `<key>_truncated` = the original length."""
    out = dict(exchange)
    for key in BODY_KEYS:
        body = out.get(key)
        if isinstance(body, str) and len(body) > limit:
            out[key] = body[:limit]
            out[f"{key}_truncated"] = len(body)
    return out


def cap_tests(tests: list[dict[str, Any]], limit: int = BODY_PREVIEW_CHARS) -> list[dict[str, Any]]:
    """The tests with the exchanges of passed/skipped ones capped (failures, warnings and errors untouched)."""
    capped = []
    for test in tests:
        if test.get("state") in KEEP_WHOLE or not test.get("exchanges"):
            capped.append(test)
        else:
            capped.append({**test, "exchanges": [cap_exchange(x, limit) for x in test["exchanges"]]})
    return capped
