"""R4 primitive types: JSON type and lexical form checks (http://hl7.org/fhir/R4/datatypes.html)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date

from ra_conformance.validation import tables

# The official R4 regular expressions (profiles-types.json, via the generated tables), matched whole with
# ASCII \s/\S as in the Java-style regex the specification uses. string and markdown are only checked for
# non-emptiness (their regex only forbids \v and \f, a rule R4 states as SHOULD in prose); xhtml is
# checked by narrative.py.
_REGEX_KINDS = ("code", "id", "uri", "url", "canonical", "oid", "uuid", "time", "instant", "date", "dateTime",
                "base64Binary")
_OFFICIAL = tables.load()["regex"]
_PATTERNS = {kind: re.compile(_OFFICIAL[kind], re.ASCII) for kind in _REGEX_KINDS}
INSTANT_RE = _PATTERNS["instant"]
_INT32 = 2**31


def _calendar_ok(value: str) -> bool:
    """A full date part (YYYY-MM-DD) must exist in the calendar (no 2021-02-30)."""
    if len(value) < 10:
        return True
    try:
        date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def _string_check(kind: str) -> Callable[[object], str | None]:
    pattern = _PATTERNS.get(kind)

    def check(value: object) -> str | None:
        if not isinstance(value, str):
            return f"expected a JSON string ({kind}), got {type(value).__name__}"
        if not value:
            return "empty string (R4 forbids empty primitive values)"
        if pattern is not None and not pattern.fullmatch(value):
            return f"{value!r} is not a valid {kind}"
        return None

    return check


def _date_check(pattern: re.Pattern[str], kind: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if not isinstance(value, str):
            return f"expected a JSON string ({kind}), got {type(value).__name__}"
        if not value:
            return "empty string (R4 forbids empty primitive values)"
        if not pattern.fullmatch(value) or not _calendar_ok(value):
            return f"{value!r} is not a valid {kind}"
        return None

    return check


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else f"expected a JSON boolean, got {type(value).__name__}"


def _int_check(low: int, kind: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"expected a JSON integer ({kind}), got {type(value).__name__}"
        if not low <= value < _INT32:
            return f"{value} is out of range for {kind}"
        return None

    return check


def _decimal(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected a JSON number (decimal), got {type(value).__name__}"
    if not math.isfinite(value):  # Python's json module reads NaN and Infinity, which JSON has not
        return f"expected a JSON number (decimal), got {value} (not JSON)"
    return None


CHECKS: dict[str, Callable[[object], str | None]] = {
    "boolean": _boolean,
    "integer": _int_check(-_INT32, "integer"),
    "positiveInt": _int_check(1, "positiveInt"),
    "unsignedInt": _int_check(0, "unsignedInt"),
    "decimal": _decimal,
    "date": _date_check(_PATTERNS["date"], "date"),
    "dateTime": _date_check(_PATTERNS["dateTime"], "dateTime"),
    "instant": _date_check(_PATTERNS["instant"], "instant"),
    **{kind: _string_check(kind) for kind in (
        "string", "markdown", "xhtml", "code", "id", "uri", "url", "canonical", "oid", "uuid", "time",
        "base64Binary")},
}


def check_primitive(kind: str, value: object) -> str | None:
    """None if ``value`` is a valid JSON form of the R4 primitive ``kind``, else a message."""
    return CHECKS[kind](value)
