"""Checks specific to the MeasureReport search flow (IG 2.1.0 / STU3, RA-SPEC §7, REQ-070..REQ-087).

The content of a search (right reports, evidence, nothing twice) is judged by checks/answer.py over the
normalised answer (fhir.search.to_answer); here: the searchset itself, paging, the date-prefix rule, the
category filter, and answers that must be empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .. import dates
from ..fhir import resources as fr
from ..fhir.operation import OperationAnswer
from ..fhir.search import SearchAnswer
from ..fhir.search import link_of as fr_link
from ..ig import MEASUREREPORT_CATEGORY_EXT
from ..kit import Scenario
from .findings import Finding, error, warning
from .registry import check


def _fmt(items: set[str] | list[str]) -> str:
    return ", ".join(sorted(items)) if items else "(none)"


@check()
def answered_with_searchset(search: SearchAnswer, reqs: str | tuple[str, ...] = "REQ-087") -> list[Finding]:
    """REQ-087: every page is a Bundle of type searchset, answered with HTTP 200."""
    findings = [error(problem, reqs=reqs) for problem in search.problems]
    for n, page in enumerate(search.pages, 1):
        body = page.resource or {}
        if body.get("resourceType") == "Bundle" and body.get("type") != "searchset":
            findings.append(error("a search answer must be a searchset Bundle", reqs=reqs, where=f"page {n}", actual=str(body.get("type"))))
        if page.status is not None and page.status != 200 and not page.error:
            findings.append(error("unexpected HTTP status for a search", reqs=reqs, where=f"page {n}", expected="200", actual=str(page.status)))
    return findings


@check("REQ-087", "REQ-080")
def search_modes(search: SearchAnswer) -> list[Finding]:
    """Included resources carry search.mode include (R4 SHALL); a match without a mode is still a
    match (Bundle.entry.search is 0..1), so a missing mode on a matched report is only a warning."""
    wrong, unflagged = [], []
    for e in search.entries:
        mode = fr.as_dict(e.get("search")).get("mode")
        resource = fr.as_dict(e.get("resource"))
        if mode == "outcome" and resource.get("resourceType") == "OperationOutcome":
            continue  # R4: an OperationOutcome about the search itself (shown as a warning, see search_outcomes)
        want = "match" if resource.get("resourceType") == "MeasureReport" else "include"
        if mode is None and want == "match":
            unflagged.append(str(fr.entry_key(e)))
        elif mode != want:
            wrong.append(f"{fr.entry_key(e)}: {mode!r} (expected {want!r})")
    findings = []
    if wrong:
        findings.append(error("entries with the wrong search.mode", actual="; ".join(wrong[:10])))
    if unflagged:
        findings.append(warning("matched reports carry no search.mode (a match all the same; `match` is clearer)", reqs="REQ-087",
                                actual=", ".join(unflagged[:10])))
    return findings


@check("REQ-070", "REQ-087")
def paging_complete(search: SearchAnswer) -> list[Finding]:
    """`next` links lead through every page to the end, without loops."""
    return [error(problem) for problem in search.paging_problems]


@check("REQ-070", "REQ-087")
def total_agrees(search: SearchAnswer) -> list[Finding]:
    """Where the searchset states `total`, the pages hold exactly that many distinct matches."""
    total = search.total
    got = len(set(search.match_keys()))
    if isinstance(total, int) and total != got:
        return [error("Bundle.total differs from the matches found by following every page",
                      expected=str(total), actual=f"{got} distinct matches over {len(search.pages)} page(s)")]
    return []


@check("REQ-070", "REQ-087")
def matches_unique(search: SearchAnswer) -> list[Finding]:
    """REQ-070: following the pages never yields the same match twice (no page repeated)."""
    doubled = {k for k, n in Counter(search.match_keys()).items() if n > 1}
    if doubled:
        return [error("the same report was returned more than once across pages", actual=_fmt(doubled))]
    return []


@check()
def no_matches(search: SearchAnswer, reqs: str | tuple[str, ...], why: str) -> list[Finding]:
    """An answer that must be an empty searchset (unknown patient, a category no report has)."""
    keys = search.match_keys()
    if keys:
        return [error(f"{why}: the searchset must hold no match", reqs=reqs, actual=_fmt(set(keys)))]
    return []


@check()
def only_requested_patients(answer: OperationAnswer, scenario: Scenario, reqs: str | tuple[str, ...] = "REQ-084") -> list[Finding]:
    """Every matched report is about a patient the request asked for (the subject, or the group's members)."""
    extra = {b.patient_ref or "?" for b in answer.returns if b.reports and b.patient_ref not in scenario.returns}
    if extra:
        return [error("reports of patients the request did not ask for", reqs=reqs, expected=_fmt(set(scenario.returns)), actual=_fmt(extra))]
    return []


@check()
def none_of(search: SearchAnswer, excluded: set[str], reqs: str | tuple[str, ...], query: str) -> list[Finding]:
    """The search's filter leaves out reports it must never select (e.g. the kit's non-RA reports)."""
    wrong = set(search.match_keys()) & excluded
    if wrong:
        return [error(f"{query} returned reports it must not select (not RA coding-gap reports)", reqs=reqs, actual=_fmt(wrong))]
    return []


@check("REQ-085")
def matches_carry_category(search: SearchAnswer, code: str = "ra") -> list[Finding]:
    """With category=ra, every match carries the measurereport-category extension with code ra."""
    wrong = []
    for report in search.matches:
        codes = {c.get("code") for e in fr.as_list(report.get("extension")) if isinstance(e, dict) and e.get("url") == MEASUREREPORT_CATEGORY_EXT
                 for c in fr.as_list((e.get("valueCodeableConcept") or {}).get("coding")) if isinstance(c, dict)}
        if code not in codes:
            wrong.append(str(fr.key(report)))
    if wrong:
        return [error(f"reports without measurereport-category {code!r} matched category={code}", actual=_fmt(set(wrong)))]
    return []


# R4 date search against a Period [s, e] (days; RA-SPEC §7 ⚑): prefix -> rule over (s, e) and the value's days [a, b].
PREFIX_RULES: dict[str, Callable[[dates.DayRange, dates.DayRange], bool]] = {
    "eq": lambda p, v: p.first >= v.first and p.last <= v.last,
    "ge": lambda p, v: p.last >= v.first,
    "le": lambda p, v: p.first <= v.last,
    "gt": lambda p, v: p.last > v.last,
    "lt": lambda p, v: p.first < v.first,
    "sa": lambda p, v: p.first > v.last,
    "eb": lambda p, v: p.last < v.first,
}


def prefix_matches(prefix: str, value: str, period: object, *, utc: bool = False) -> bool:
    """Does a report period match `period=<prefix><value>`? (calendar days, dateTimes by their date part; ``utc``:
    dateTimes read as UTC instants, the other legal reading for search — checks/zones.py)"""
    days = dates.utc_period_range(period) if utc else dates.period_range(period)
    return PREFIX_RULES[prefix](days, dates.day_range(value))


@check("REQ-074", "REQ-084")
def prefix_answer(search: SearchAnswer, expected: set[str], query: str) -> list[Finding]:
    """The matches are exactly the reports the prefix rule selects."""
    got = set(search.match_keys())
    findings = []
    if expected - got:
        findings.append(error(f"{query}: reports the prefix selects are missing", expected=_fmt(expected), actual=_fmt(expected - got)))
    if got - expected:
        findings.append(error(f"{query}: reports the prefix excludes were returned", expected=_fmt(expected), actual=_fmt(got - expected)))
    return findings


@check()
def exact_matches(search: SearchAnswer, expected: set[str], query: str, reqs: str | tuple[str, ...]) -> list[Finding]:
    """A search parameter selects exactly the reports it should: none missing, none extra."""
    got = set(search.match_keys())
    findings = []
    if expected - got:
        findings.append(error(f"{query}: matching reports are missing", reqs=reqs, expected=_fmt(expected), actual=_fmt(expected - got)))
    if got - expected:
        findings.append(error(f"{query}: reports that do not match were returned", reqs=reqs, expected=_fmt(expected), actual=_fmt(got - expected)))
    return findings


# -- what a search answer says about itself: the self link and `outcome` entries (R4 search; issue 16) ------------

# The requirement each MeasureReport search parameter serves (RA-SPEC §9.3): named when a server ignored it.
PARAMETER_REQS: dict[str, tuple[str, ...]] = {
    "date": ("REQ-071",), "measure": ("REQ-072",), "patient": ("REQ-073",), "period": ("REQ-074", "REQ-084"),
    "status": ("REQ-075",), "subject": ("REQ-076", "REQ-084"), "category": ("REQ-077", "REQ-085"),
    "measurereport-category": ("REQ-077", "REQ-085"), "_include": ("REQ-080",), "_profile": ("REQ-084",),
}
IGNORED_HINT = "see MeasureReport search parameters in its CapabilityStatement"


def reqs_of_parameters(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for n in names for r in PARAMETER_REQS.get(n, ("REQ-087",))))


@check()
def ignored_parameters(names: list[str], self_links: list[str] | None = None) -> list[Finding]:
    """The root cause of a search's wrong content: parameters the server ignored (sent, but absent from the
    searchset's self link, which R4 says shows the parameters actually used). One finding for a test."""
    if not names:
        return []
    return [error(f"the server ignored: {', '.join(names)} — {IGNORED_HINT}", reqs=reqs_of_parameters(names),
                  where="the searchset's self link (R4: the parameters the server actually used)",
                  actual="; ".join((self_links or [])[:3]) or None)]


def outcome_diagnostics(outcome: dict) -> str:
    """The text of an OperationOutcome's issues (diagnostics, else details.text), for reports."""
    texts = []
    for issue in fr.as_list(outcome.get("issue")):
        if isinstance(issue, dict):
            details = fr.as_dict(issue.get("details"))
            text = issue.get("diagnostics") or details.get("text") or issue.get("code") or ""
            texts.append(f"{issue.get('severity', '?')}: {text}")
    return "; ".join(str(t) for t in texts) or "(an OperationOutcome without issues)"


@check("REQ-087")
def search_outcomes(diagnostics: list[str]) -> list[Finding]:
    """`search.mode=outcome` entries are legal (R4): shown as warnings with their diagnostics."""
    return [warning("the server added an OperationOutcome about the search (search.mode=outcome)", actual=d)
            for d in diagnostics]


@check("REQ-087")
def has_self_link(search: SearchAnswer) -> list[Finding]:
    """REQ-087 (R4 search: SHALL): every searchset page carries a `self` link."""
    missing = [n for n, b in enumerate(search.bundles, 1) if fr_link(b, "self") is None]
    if missing:
        return [error("a searchset Bundle must carry a `self` link (the parameters the server used)",
                      where=", ".join(f"page {n}" for n in missing))]
    return []
