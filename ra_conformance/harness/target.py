"""Target: the server under test as the run sees it — its client, what it declares, the IG version and operation
the run judges it by, its SMART set-up and the fixture kit it should hold. Asked once per run."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .. import declarations
from .. import kit as kitmod
from ..connect import token_provider
from ..fhir import auth as fauth
from ..fhir import resources as fr
from ..fhir.client import Exchange, FhirClient, FhirResponse
from ..fhir.operation import CodingGapOperation
from ..fhir.risk_gap import RiskGapOperation
from ..ig import DEFAULT_IG_VERSION, versions
from ..settings import Settings
from . import flows
from .capture import Memo

DEFAULT_OPERATION = "cc-gaps"


class Target:
    def __init__(self, settings: Settings, memo: Memo) -> None:
        assert settings.target, "Target needs a target URL"
        self.settings = settings
        self.memo = memo
        self.auth = token_provider(settings, settings.target)  # None: no client credentials (maybe --auth-token)
        self.client = FhirClient(settings.target, auth_token=settings.auth_token, auth=self.auth,
                                 policy=settings.transport_policy())
        self.exercised: set[str] = set()  # retrieval flows the run's exchanges used ('search', '$cc-gaps', …)
        self.client.log.listeners.append(memo.capture.listen)
        self.client.log.listeners.append(self._note_flow)

    def close(self) -> None:
        self.client.close()

    def _note_flow(self, exchange: Exchange) -> None:
        label = flows.exercised_label(exchange.method, exchange.url, self.client.base_url)
        if label is not None:
            self.exercised.add(label)

    # -- what the target declares ------------------------------------------------------------
    @property
    def metadata(self) -> FhirResponse:
        """GET [base]/metadata, fetched once; a test reading it shows the exchange."""
        return self.memo.get(("GET", "metadata"), lambda: self.client.get("metadata"))

    metadata_response = metadata

    @cached_property
    def declarations(self) -> declarations.Declarations:
        return declarations.read_declarations(self.metadata.resource)

    @cached_property
    def ig_version(self) -> str:
        return self.settings.ig_version or declarations.infer_ig_version(self.declarations) or DEFAULT_IG_VERSION

    @cached_property
    def operation_name(self) -> str:
        return self.settings.operation or declarations.discover_operation(self.declarations, self.ig_version) or DEFAULT_OPERATION

    @cached_property
    def operation(self) -> CodingGapOperation:
        return CodingGapOperation(self.client, self.operation_name)

    @cached_property
    def risk_gap(self) -> RiskGapOperation:
        return RiskGapOperation(self.client)

    @cached_property
    def content_flows(self) -> tuple[str, ...]:
        """The retrieval flows the content and profile checks judge (flows.content_flows: as the plan decides)."""
        return flows.content_flows(self.ig_version, self.declarations, operation_forced=bool(self.settings.operation))

    @cached_property
    def planned_flows(self) -> list[str]:
        return flows.planned_labels(self.ig_version, self.declarations, self.operation_name,
                                    operation_forced=bool(self.settings.operation))

    @cached_property
    def category_param(self) -> str | None:
        """The category parameter of the retrieval query: the name the target declares, else `category`
        (2.1.0/STU3 SHALL); None in STU1 (no category there: the `_profile` filter is used instead)."""
        record = versions.get(self.ig_version)
        declared = self.declarations.resources.get("MeasureReport", {}).get("search", [])
        known = dict.fromkeys(p for v in versions.all_versions() for p in v.category_params)
        return next((p for p in known if p in declared), record.category_param)

    @property
    def search_headers(self) -> dict[str, str] | None:
        """`Prefer: handling=strict|lenient` on every search when asked (--search-handling; R4 search)."""
        handling = self.settings.search_handling
        return {"Prefer": f"handling={handling}"} if handling else None

    # -- SMART Backend Services (REQ-006, REQ-240…248) ----------------------------------------------
    @property
    def smart_discovery(self) -> FhirResponse:
        """GET [base]/.well-known/smart-configuration (no token), fetched once."""
        url = f"{self.client.base_url}/{fauth.DISCOVERY_PATH}"
        return self.memo.get(("GET", fauth.DISCOVERY_PATH), lambda: fauth.send_auth_request(self.client.send, "GET", url))

    smart_discovery_response = smart_discovery

    @cached_property
    def smart_declared(self) -> str | None:
        """How the target says it uses SMART (rest.security or the discovery document), or None."""
        if declarations.declares_smart(self.metadata.resource):
            return "/metadata rest.security declares SMART"
        doc = self.smart_discovery
        if doc.status == 200 and isinstance(doc.json, dict):
            return "the target serves the SMART discovery document"
        return None

    def configure_scope(self, capabilities: list[str]) -> None:
        """The default scope of the run: the read scopes, and the write ones when a selected test writes."""
        if self.auth is not None:
            self.auth.configure_scope(fauth.default_scope(capabilities))

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
