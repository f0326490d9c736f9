"""Defects of RESTful search (server/search.py): rewrites of the searchset and the rules (strategies) a wrong
server reads differently. Pure functions over dicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ...dates import DayRange
from ..layer import Call
from ..rest import Answer
from ..search import _PREFIX_RE, CONDITIONS, Condition, read_date
from ..shape import as_dict, as_list
from .base import Body, is_searchset

LENIENTLY_IGNORED = frozenset({"subject", "period", "category", "measurereport-category", "_include"})

# -- rules read differently (strategies for search.Rules) --------------------------------------------------


def not_applied(q: Any, name: str, values: list[str]) -> None:
    """The parameter is dropped: no condition, and the self link does not list it."""
    return


def always_true(q: Any, name: str, values: list[str]) -> list[tuple[str, list[Any]]]:
    """The parameter is listed as applied (self link) but matches everything."""
    return [("1", [])]


def conditions_without(ignored: dict[str, Condition]) -> dict[str, Condition]:
    return {**CONDITIONS, **ignored}


def ge_read_as_eq(value: str) -> tuple[str, DayRange]:
    """search-ignores-ge-prefix: period=geX read as period=eqX."""
    prefix, days = read_date(value)
    return ("eq" if prefix == "ge" else prefix), days


def _month_precision(value: str) -> bool:
    return len(_PREFIX_RE.match(value).group(2)) == 7  # type: ignore[union-attr]


def month_end_rolls_over(value: str) -> tuple[str, DayRange]:
    """search-month-end-rolls-over: a month ends on the first day of the next month."""
    prefix, days = read_date(value)
    if _month_precision(value):
        days = DayRange(days.first, days.last + timedelta(days=1))
    return prefix, days


def february_of_28_days(value: str) -> tuple[str, DayRange]:
    """search-february-28-days: a leap-year February ends on the 28th."""
    prefix, days = read_date(value)
    if _month_precision(value) and days.last.month == 2 and days.last.day == 29:
        days = DayRange(days.first, days.last - timedelta(days=1))
    return prefix, days


# -- searchset rewrites -------------------------------------------------------------------------------------


def _next_link_moved(pages: int) -> Callable[[Call, Answer], Answer]:
    """The next link moved by ``pages`` pages from where it should point (-1: the same page again)."""
    def rewrite(call: Call, answer: Answer) -> Answer:
        if not is_searchset(answer):
            return answer
        assert answer.body is not None
        for link in as_list(answer.body.get("link")):
            if link.get("relation") == "next":
                link["url"] = _moved(link["url"], pages)
        return answer

    return rewrite


def _moved(url: str, pages: int) -> str:
    parts = urlsplit(url)
    items = parse_qsl(parts.query, keep_blank_values=True)
    values = dict(items)
    count, offset = int(values.get("_count", "0")), int(values.get("_offset", "0"))
    query = urlencode([(k, str(offset + pages * count) if k == "_offset" else v) for k, v in items])
    return urlunsplit(parts._replace(query=query))


next_link_loops = _next_link_moved(-1)
next_link_drops_page = _next_link_moved(+1)


def no_self_link(call: Call, answer: Answer) -> Answer:
    if is_searchset(answer):
        assert answer.body is not None
        answer.body["link"] = [link for link in as_list(answer.body.get("link")) if link.get("relation") != "self"]
    return answer


def include_misses_one(call: Call, answer: Answer) -> Answer:
    """include-misses-evidence: the last included resource of the page left out."""
    if is_searchset(answer):
        assert answer.body is not None
        entries = as_list(answer.body.get("entry"))
        last = max((n for n, e in enumerate(entries) if _mode(e) == "include"), default=None)
        if last is not None:
            del entries[last]
    return answer


def _mode(entry: Body) -> str:
    return str(as_dict(entry.get("search")).get("mode", ""))


def in_entries(mode: str, rewrite: Callable[[Body], Body], rtype: str | None = None) -> Callable[[Call, Answer], Answer]:
    """A searchset rewrite changing each entry of search mode ``mode`` (match, include) with ``rewrite`` (only
    resources of type ``rtype`` when given)."""
    def searchset_rewrite(call: Call, answer: Answer) -> Answer:
        if is_searchset(answer):
            assert answer.body is not None
            for entry in as_list(answer.body.get("entry")):
                if _mode(entry) == mode and rtype in (None, as_dict(entry.get("resource")).get("resourceType")):
                    entry["resource"] = rewrite(entry["resource"])
        return answer

    return searchset_rewrite
