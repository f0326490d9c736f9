"""MeasureReport search as a coding-gap retrieval (IG 2.1.0 / STU3, RA-SPEC §1.4 and §7).

``fetch_all`` follows ``next`` links to the end (with a page cap and loop detection) and keeps every page;
``to_answer`` normalises the pages into an OperationAnswer whose ``returns`` hold one group per patient (the
patient's matched reports plus the included resources they cite), so the content checks of checks/answer.py
judge a search exactly as they judge a `$report` answer. Never raises on what a server sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from ..ig import PROFILE_MEASUREREPORT
from ..ig.capabilities import GROUP_EXPANSION_EXTENSION
from . import resources as fr
from .client import FhirClient, FhirResponse
from .operation import OperationAnswer, group_by_patient
from .transport import origin

MAX_PAGES = 50
INCLUDE_EVIDENCE = ("_include", "MeasureReport:evaluated-resource")


@dataclass
class SearchAnswer:
    """Every page of one search, in the order fetched."""

    pages: list[FhirResponse] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unusable pages (transport, not JSON, not a Bundle)
    paging_problems: list[str] = field(default_factory=list)  # a next link that loops, or too many pages
    sent: list[tuple[str, str]] = field(default_factory=list)  # the parameters of the first request

    @property
    def response(self) -> FhirResponse | None:
        return self.pages[0] if self.pages else None

    @property
    def bundles(self) -> list[dict[str, Any]]:
        return [p.resource for p in self.pages if p.resource is not None and p.resource.get("resourceType") == "Bundle"]

    @property
    def entries(self) -> list[dict[str, Any]]:
        return [e for b in self.bundles for e in fr.entries(b)]

    def entries_in_mode(self, mode: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if isinstance(e.get("search"), dict) and e["search"].get("mode") == mode]

    @property
    def matches(self) -> list[dict[str, Any]]:
        """The matched MeasureReports (entries with search.mode match, or without a mode)."""
        out = []
        for e in self.entries:
            mode = e.get("search", {}).get("mode") if isinstance(e.get("search"), dict) else None
            resource = e.get("resource")
            if mode in (None, "match") and isinstance(resource, dict) and resource.get("resourceType") == "MeasureReport":
                out.append(resource)
        return out

    def match_keys(self) -> list[str]:
        return [k for k in (fr.key(r) for r in self.matches) if k]

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        """OperationOutcomes the server added about the search itself (search.mode=outcome, legal in R4)."""
        return [e["resource"] for e in self.entries_in_mode("outcome")
                if isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == "OperationOutcome"]

    @property
    def self_link(self) -> str | None:
        """The first page's `self` link (R4: the parameters the server actually used), None when absent."""
        return link_of(self.bundles[0], "self") if self.bundles else None

    def ignored_parameters(self) -> list[str]:
        """Parameters sent but missing from the first page's self link: what the server ignored (R4 lenient
        handling). Empty when there is no self link to read (judged apart, REQ-087) or nothing was ignored."""
        link = self.self_link
        if link is None or not self.sent:
            return []
        try:
            used = {_base_name(n) for n, _ in parse_qsl(urlsplit(link).query, keep_blank_values=True)}
        except ValueError:
            return []
        used |= {alias for n in used for alias in _ALIASES.get(n, ())}
        sent = [_base_name(n) for n, _ in self.sent if n not in RESULT_PARAMS]
        return list(dict.fromkeys(n for n in sent if n not in used))

    @property
    def total(self) -> Any:
        """`total` of the first page as sent (None when absent)."""
        return self.bundles[0].get("total") if self.bundles else None


def fetch_all(client: FhirClient, path: str, params: list[tuple[str, str]], *, max_pages: int = MAX_PAGES,
              headers: dict[str, str] | None = None) -> SearchAnswer:
    """GET the search, then each `next` link, until none is left, a link repeats or leaves the target's origin
    (the token must not travel elsewhere), or ``max_pages`` are read. Any link on the target's own origin is
    followed, whatever its shape (R4 leaves paging URLs to the server, e.g. ``[base]?_getpages=ID&…``).
    ``headers`` go with every page (e.g. ``Prefer: handling=strict``)."""
    answer = SearchAnswer(sent=list(params))
    seen: set[str] = set()
    resp = client.get(path, params=params, headers=headers)
    while True:
        answer.pages.append(resp)
        body = resp.resource
        if resp.error or body is None or body.get("resourceType") != "Bundle":
            what = resp.describe() if resp.error else (resp.json_error or f"a {body.get('resourceType') if body else 'non-FHIR body'}")
            answer.problems.append(f"page {len(answer.pages)}: not a Bundle ({what}, HTTP {resp.status})")
            return answer
        nxt = next_link(body)
        if nxt is None:
            return answer
        try:
            nxt = urljoin(client.base_url + "/", nxt)  # a relative link is relative to the base
        except ValueError as exc:  # e.g. 'http://[::1/…': a finding, never an exception
            answer.paging_problems.append(f"page {len(answer.pages)}'s next link is not a URL: {nxt!r} ({exc})")
            return answer
        if nxt in seen or nxt == str(resp.exchange.url):
            answer.paging_problems.append(f"page {len(answer.pages)}'s next link repeats an earlier page: {nxt}")
            return answer
        if not same_origin(nxt, client.base_url):
            # never send the bearer token to another host: a next link must stay on the target
            answer.paging_problems.append(f"page {len(answer.pages)}'s next link leaves the server: {nxt}")
            return answer
        if len(answer.pages) >= max_pages:
            answer.paging_problems.append(f"more than {max_pages} pages: stopped following next links")
            return answer
        seen.add(nxt)
        resp = client.get(nxt, headers=headers)


def same_origin(url: str, base_url: str) -> bool:
    """Same scheme, host and port (default ports spelled out or not); False for anything that is not a URL."""
    return origin(url) == origin(base_url) and origin(url)[0] in ("http", "https")


def next_link(bundle: dict[str, Any]) -> str | None:
    return link_of(bundle, "next")


def link_of(bundle: dict[str, Any], relation: str) -> str | None:
    for link in fr.as_list(bundle.get("link")):
        if isinstance(link, dict) and link.get("relation") == relation and isinstance(link.get("url"), str):
            return link["url"]
    return None


# Parameters that shape the answer rather than select: never expected in a self link.
RESULT_PARAMS = ("_count", "_offset", "_format", "_pretty", "_summary", "_elements", "_total")
_ALIASES = {"category": ("measurereport-category",), "measurereport-category": ("category",),
            "evaluated-resource": ("evaluatedResource",), "evaluatedResource": ("evaluated-resource",)}


def _base_name(name: str) -> str:
    """A parameter's name without modifier (`subject:Patient` -> `subject`); `_include` stays itself."""
    return name.split(":", 1)[0]


def to_answer(search: SearchAnswer, patients: tuple[str, ...] | list[str] = ()) -> OperationAnswer:
    """The search as per-patient groups: matched reports by subject, plus the included resources they cite."""
    if search.response is None:
        raise ValueError("a search answer without pages")
    answer = OperationAnswer(response=search.response, problems=[*search.problems, *search.paging_problems])
    answer.returns = group_by_patient(search.entries, reports=search.matches, patients=patients, origin="searchset entries")
    return answer


def coding_gap_query(subject: str, period_start: str, period_end: str, *, category_param: str | None = "category",
                     include: bool = True, count: int | None = None) -> list[tuple[str, str]]:
    """The IG's retrieval query (RA-SPEC §1.6): subject, inclusive period window, the RA category (2.1.0/STU3) —
    or, where the server has no category parameter (STU1), the `_profile` filter of the IG's examples."""
    params = [("subject", subject), ("period", f"ge{period_start}"), ("period", f"le{period_end}"),
              ra_filter(category_param)]
    if include:
        params.append(INCLUDE_EVIDENCE)
    if count is not None:
        params.append(("_count", str(count)))
    return params


def ra_filter(category_param: str | None) -> tuple[str, str]:
    """What selects RA coding-gap reports: the category (2.1.0/STU3), else the ra-measurereport profile."""
    return (category_param, "ra") if category_param else ("_profile", PROFILE_MEASUREREPORT)


def declares_group_expansion(capability_statement: Any) -> bool:
    """Does the CapabilityStatement declare that subject=Group/<id> returns the members' reports (REQ-086 ⚑)?"""
    if not isinstance(capability_statement, dict):
        return False
    for rest in fr.as_list(capability_statement.get("rest")):
        for res in fr.as_list(rest.get("resource") if isinstance(rest, dict) else None):
            if not (isinstance(res, dict) and res.get("type") == "MeasureReport"):
                continue
            for sp in fr.as_list(res.get("searchParam")):
                if isinstance(sp, dict) and sp.get("name") == "subject":
                    for ext in fr.as_list(sp.get("extension")):
                        if isinstance(ext, dict) and ext.get("url") == GROUP_EXPANSION_EXTENSION and ext.get("valueBoolean") is True:
                            return True
    return False
