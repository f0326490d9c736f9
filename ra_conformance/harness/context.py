"""RaContext: what every suite test shares in one run — client, operation, kit, cached answers."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .. import declarations, flows
from .. import kit as kitmod
from ..checks import search as sc
from ..checks.findings import Finding
from ..connect import token_provider
from ..fhir import auth as fauth
from ..fhir import resources as fr
from ..fhir import search as fsearch
from ..fhir.client import Exchange, FhirClient, FhirResponse
from ..fhir.operation import CodingGapOperation, OperationAnswer
from ..fhir.risk_gap import RiskGapOperation
from ..ig import DEFAULT_IG_VERSION
from ..settings import Settings

DEFAULT_OPERATION = "cc-gaps"


class RaContext:
    def __init__(self, settings: Settings) -> None:
        assert settings.target, "RaContext needs a target URL"
        self.settings = settings
        self.auth = token_provider(settings, settings.target)  # None: no client credentials (maybe --auth-token)
        self.client = FhirClient(settings.target, auth_token=settings.auth_token, auth=self.auth,
                                 policy=settings.transport_policy())
        self._answers: dict[tuple[Any, ...], OperationAnswer] = {}
        self._searches: dict[tuple[Any, ...], fsearch.SearchAnswer] = {}
        self._current: list[dict[str, Any]] | None = None
        self.ignored: dict[str, tuple[str, ...]] = {}  # search parameters the target ignored -> REQ ids (run-wide)
        self.outcome_texts: list[str] = []  # diagnostics of searchset `outcome` entries (run-wide, distinct)
        self._test_ignored: dict[str, None] = {}
        self._test_self_links: list[str] = []
        self._test_outcomes: dict[str, None] = {}
        self.exercised: set[str] = set()  # retrieval flows the run's exchanges used ('search', '$cc-gaps', …)
        self.client.log.listeners.append(self.attach)
        self.client.log.listeners.append(self._note_flow)

    def close(self) -> None:
        self.client.close()

    # -- exchange capture per test -----------------------------------------------------------
    def begin_test(self, sink: list[dict[str, Any]]) -> None:
        self._current = sink
        self._test_ignored, self._test_self_links, self._test_outcomes = {}, [], {}

    def end_test(self) -> None:
        self._current = None

    def search_notes(self) -> list[Finding]:
        """What the current test's searches said about themselves, once per test: the parameters the server
        ignored (root cause: the test's first finding) and the diagnostics of `outcome` entries (warnings)."""
        return (sc.ignored_parameters(list(self._test_ignored), self._test_self_links)
                + sc.search_outcomes(list(self._test_outcomes)))

    def _note_search(self, found: fsearch.SearchAnswer) -> None:
        ignored = found.ignored_parameters()
        for name in ignored:
            self._test_ignored.setdefault(name, None)
            self.ignored.setdefault(name, sc.reqs_of_parameters([name]))
        if ignored and found.self_link and found.self_link not in self._test_self_links:
            self._test_self_links.append(found.self_link)
        for outcome in found.outcomes:
            text = sc.outcome_diagnostics(outcome)
            self._test_outcomes.setdefault(text, None)
            if text not in self.outcome_texts:
                self.outcome_texts.append(text)

    def attach(self, exchange: Exchange) -> None:
        if self._current is not None and all(e.get("id") != exchange.id for e in self._current):
            self._current.append(exchange.to_dict())

    def _note_flow(self, exchange: Exchange) -> None:
        label = flows.exercised_label(exchange.method, exchange.url, self.client.base_url)
        if label is not None:
            self.exercised.add(label)

    # -- what the target declares ------------------------------------------------------------
    @cached_property
    def metadata_response(self) -> FhirResponse:
        return self.client.get("metadata")

    @property
    def metadata(self) -> FhirResponse:
        """GET [base]/metadata, fetched once; the exchange is attached to every test that reads it."""
        resp = self.metadata_response
        self.attach(resp.exchange)
        return resp

    @cached_property
    def declarations(self) -> declarations.Declarations:
        return declarations.read_declarations(self.metadata_response.resource)

    @cached_property
    def ig_version(self) -> str:
        return self.settings.ig_version or declarations.infer_ig_version(self.declarations) or DEFAULT_IG_VERSION

    @cached_property
    def operation_name(self) -> str:
        return self.settings.operation or declarations.discover_operation(self.declarations, self.ig_version) or DEFAULT_OPERATION

    @cached_property
    def operation(self) -> CodingGapOperation:
        return CodingGapOperation(self.client, self.operation_name)

    # -- SMART Backend Services (REQ-006, REQ-240…248) ----------------------------------------------
    @cached_property
    def smart_discovery_response(self) -> FhirResponse:
        """GET [base]/.well-known/smart-configuration (no token), fetched once."""
        return fauth.send_auth_request(self.client.send, "GET", f"{self.client.base_url}/{fauth.DISCOVERY_PATH}")

    @property
    def smart_discovery(self) -> FhirResponse:
        resp = self.smart_discovery_response
        self.attach(resp.exchange)
        return resp

    @cached_property
    def smart_declared(self) -> str | None:
        """How the target says it uses SMART (rest.security or the discovery document), or None."""
        if declarations.declares_smart(self.metadata_response.resource):
            return "/metadata rest.security declares SMART"
        doc = self.smart_discovery_response
        if doc.status == 200 and isinstance(doc.json, dict):
            return "the target serves the SMART discovery document"
        return None

    def configure_scope(self, capabilities: list[str]) -> None:
        """The default scope of the run: the read scopes, and the write ones when a selected test writes."""
        if self.auth is not None:
            self.auth.configure_scope(fauth.default_scope(capabilities))

    @cached_property
    def content_flows(self) -> tuple[str, ...]:
        """The retrieval flows the content and profile checks judge (flows.content_flows: as the plan decides)."""
        return flows.content_flows(self.ig_version, self.declarations, operation_forced=bool(self.settings.operation))

    @cached_property
    def planned_flows(self) -> list[str]:
        return flows.planned_labels(self.ig_version, self.declarations, self.operation_name,
                                    operation_forced=bool(self.settings.operation))

    # -- the fixture kit ---------------------------------------------------------------------
    @cached_property
    def kit(self) -> kitmod.Expectations:
        return kitmod.load_expectations(self.settings.kit_dir)

    @cached_property
    def kit_resources(self) -> dict[str, dict[str, Any]]:
        """The kit's own resources by 'Type/id' (what the target was loaded with: the variant of the run's IG
        version, e.g. STU1-shaped reports — see kit/versions.py)."""
        from ..kit.versions import variant_resources

        return {f"{r['resourceType']}/{r['id']}": r for r in variant_resources(self.ig_version, self.settings.kit_dir)}

    @cached_property
    def missing_kit_patients(self) -> list[str]:
        """Kit patients the target does not have (read one by one; the kit is small)."""
        missing = []
        for ref in self.kit.patients:
            resp = self.client.get(ref)
            if fr.key(resp.resource) != ref:
                missing.append(ref)
        return missing

    # -- judging -----------------------------------------------------------------------------
    @cached_property
    def validator(self) -> Any | None:
        """The RA profile validator for the run's IG version, when available."""
        try:
            from ..validation import validator_for
        except ImportError:
            return None
        return validator_for(self.ig_version)

    def answer(self, scenario: kitmod.Scenario, method: str = "GET") -> OperationAnswer:
        """The operation's answer for a scenario, asked once per run and method."""
        cache_key = (scenario.subject, scenario.period_start, scenario.period_end, method.upper())
        answer = self._answers.get(cache_key)
        if answer is None:
            answer = self.operation.invoke(scenario.subject, scenario.period_start, scenario.period_end, method=method)
            self._answers[cache_key] = answer
        self.attach(answer.response.exchange)
        return answer

    # -- the 2.1.0/STU3 MeasureReport search and the STU3 ballot's $risk-gap (RA-SPEC §1.6) ------------
    @cached_property
    def category_param(self) -> str | None:
        """The category parameter of the retrieval query: the name the target declares, else `category`
        (2.1.0/STU3 SHALL); None in STU1 (no category there: the `_profile` filter is used instead)."""
        declared = self.declarations.resources.get("MeasureReport", {}).get("search", [])
        found = next((p for p in ("category", "measurereport-category") if p in declared), None)
        return found or (None if self.ig_version == "stu1" else "category")

    def search(self, params: list[tuple[str, str]]) -> fsearch.SearchAnswer:
        """GET MeasureReport?<params>, every page followed; asked once per run and query. What the answer says
        about itself (ignored parameters, `outcome` entries) is noted for the current test (search_notes)."""
        cache_key = ("search", *params)
        found = self._searches.get(cache_key)
        if found is None:
            found = fsearch.fetch_all(self.client, "MeasureReport", params, headers=self.search_headers)
            self._searches[cache_key] = found
        for page in found.pages:
            self.attach(page.exchange)
        self._note_search(found)
        return found

    @property
    def search_headers(self) -> dict[str, str] | None:
        """`Prefer: handling=strict|lenient` on every search when asked (--search-handling; R4 search)."""
        handling = self.settings.search_handling
        return {"Prefer": f"handling={handling}"} if handling else None

    def search_answer(self, scenario: kitmod.Scenario, *, count: int | None = None,
                      include: bool = True) -> tuple[fsearch.SearchAnswer, OperationAnswer]:
        """The IG's retrieval search for a scenario, and its per-patient normalisation."""
        params = fsearch.coding_gap_query(scenario.subject, scenario.period_start, scenario.period_end,
                                          category_param=self.category_param, include=include, count=count)
        found = self.search(params)
        if found.response is None:  # pragma: no cover - fetch_all always fetches a first page
            raise RuntimeError("search without a page")
        cache_key = ("search-answer", *params)
        answer = self._answers.get(cache_key)
        if answer is None:
            answer = fsearch.to_answer(found, patients=list(scenario.returns))
            self._answers[cache_key] = answer
        return found, answer

    def retrieved(self, scenario: kitmod.Scenario) -> list[OperationAnswer]:
        """The scenario's answer by every retrieval flow the content checks judge (search, then the operation).
        A Group subject is searched member by member unless the target declares group expansion (REQ-086 ⚑)."""
        out = []
        for flow in self.content_flows:
            if flow == flows.OPERATION:
                out.append(self.answer(scenario))
            elif scenario.subject.startswith("Group/") and not self.declarations.group_expansion:
                out.append(self._member_search_answer(scenario))
            else:
                out.append(self.search_answer(scenario)[1])
        return out

    def _member_search_answer(self, scenario: kitmod.Scenario) -> OperationAnswer:
        found = [self.search(fsearch.coding_gap_query(member, scenario.period_start, scenario.period_end,
                                                      category_param=self.category_param))
                 for member in scenario.returns]
        cache_key = ("member-search", scenario.subject, scenario.period_start, scenario.period_end)
        answer = self._answers.get(cache_key)
        if answer is None:
            merged = fsearch.SearchAnswer(pages=[p for f in found for p in f.pages],
                                          problems=[p for f in found for p in f.problems],
                                          paging_problems=[p for f in found for p in f.paging_problems])
            answer = (fsearch.to_answer(merged, patients=list(scenario.returns)) if merged.pages
                      else OperationAnswer(response=self.metadata_response, problems=["no member to search"]))
            self._answers[cache_key] = answer
        return answer

    @cached_property
    def risk_gap(self) -> RiskGapOperation:
        return RiskGapOperation(self.client)

    def risk_gap_answer(self, case: kitmod.RiskGapCase, *, context_id: str | None = None) -> OperationAnswer:
        """`$risk-gap` for a kit case (data Bundle built from the kit), asked once per run and contextId."""
        cache_key = ("risk-gap", case.id, context_id)
        answer = self._answers.get(cache_key)
        if answer is None:
            answer = self.risk_gap.invoke(case, self.kit.resources, context_id=context_id)
            self._answers[cache_key] = answer
        self.attach(answer.response.exchange)
        return answer

    def answered_resources(self) -> list[dict[str, Any]]:
        """Every resource the run's answers carried (for must-support coverage)."""
        out: list[dict[str, Any]] = []
        for answer in self._answers.values():
            out.extend(answer.all_resources())
        return out
