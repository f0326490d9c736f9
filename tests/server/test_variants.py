"""Every legal variant really changes the wire (the probe sees it with the variant on, not without); the catalogue
is well formed. That every variant *passes* the suites is proven end to end in tests/e2e/test_selftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from ra_conformance import kit
from ra_conformance.server.app import create_app
from ra_conformance.server.ingest import load_paths
from ra_conformance.server.store import Store
from ra_conformance.server.variants import VARIANTS, UnknownVariantError, VariantSet

P02 = "Patient/rac-p02"  # the kit's edge patient: many reports, one ending 2023-12-31T23:59:59-05:00
EVE = "rac-mr-p02-dt-ends-eve"


@pytest.fixture(scope="module")
def kit_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("variants") / "data") as store:
        load_paths(store, [kit.default_kit_dir()])
        yield store


@pytest.fixture(scope="module")
def client_for(kit_store: Store) -> Iterator[Callable[..., Any]]:
    from starlette.testclient import TestClient

    with ExitStack() as stack:
        def make(*variants: str) -> TestClient:
            app = create_app(kit_store, variants=variants)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False, base_url="http://testserver"))

        yield make


def search(c: Any, query: str) -> dict[str, Any]:
    return c.get(f"/MeasureReport?{query}").json()


def ids(bundle: dict[str, Any], mode: str | None = None) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if mode is None or e.get("search", {}).get("mode") == mode]


def next_url(bundle: dict[str, Any]) -> str | None:
    return next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)


def _getpages(c: Any) -> bool:
    first = search(c, f"patient={P02}&_count=3")
    url = next_url(first) or ""
    if not url.startswith("http://testserver?_getpages="):
        return False
    second = c.get(url).json()  # the base answers the opaque link with the next page of the same search
    return second.get("type") == "searchset" and bool(ids(second)) and not set(ids(second)) & set(ids(first))


def _reversed(c: Any) -> bool:
    bundle = search(c, f"patient={P02}&_include=MeasureReport:evaluated-resource")
    return bundle["entry"][0]["search"]["mode"] == "include"


def _patch_refused(c: Any) -> bool:
    resp = c.patch("/MeasureReport/rac-mr-p02-contained", json={"resourceType": "Parameters"},
                   headers={"Content-Type": "application/fhir+json"})
    formats = c.get("/metadata").json()["patchFormat"]
    return resp.status_code == 415 and resp.json()["resourceType"] == "OperationOutcome" and "application/fhir+json" not in formats


def _instants(c: Any) -> bool:
    in_search = EVE in ids(search(c, f"patient={P02}&period=ge2024-01-01"))
    op = c.get(f"/MeasureReport/$cc-gaps?subject={P02}&periodStart=2024-01-01&periodEnd=2024-02-01").json()
    in_operation = EVE in str(op)
    return in_search and not in_operation  # the operation keeps the IG's date-part rule


def _capped(c: Any) -> bool:
    def transaction(n: int) -> Any:
        return c.post("/", json={"resourceType": "Bundle", "type": "transaction",
                                 "entry": [{"request": {"method": "GET", "url": "Patient/rac-p01"}}] * n})
    big, small = transaction(51), transaction(50)
    return big.status_code == 400 and big.json()["issue"][0]["code"] == "too-costly" and small.status_code == 200


def _minimal_capability(c: Any) -> bool:
    cs = c.get("/metadata").json()
    resources = cs["rest"][0]["resource"]
    return ("instantiates" not in cs and "implementationGuide" not in cs
            and not any("supportedProfile" in r or "profile" in r for r in resources)
            and any(r.get("searchParam") for r in resources))


def _minimal_return(c: Any) -> bool:
    patient = {"resourceType": "Patient", "name": [{"family": "Variant"}]}
    bare = c.post("/Patient", json=patient)
    full = c.post("/Patient", json=patient, headers={"Prefer": "return=representation"})
    return (bare.status_code == 201 and bare.content == b"" and "/Patient/" in bare.headers["location"]
            and full.json()["resourceType"] == "Patient")


PROBES: dict[str, Callable[[Any], bool]] = {
    "getpages-links": _getpages,
    "short-pages": lambda c: len(ids(search(c, f"patient={P02}&_count=5"))) == 2,
    "no-total": lambda c: "total" not in search(c, f"patient={P02}"),
    "no-match-mode": lambda c: (not ids(search(c, f"patient={P02}&_include=MeasureReport:evaluated-resource"), "match")
                                and bool(ids(search(c, f"patient={P02}&_include=MeasureReport:evaluated-resource"), "include"))),
    "reversed-entries": _reversed,
    "search-outcome-note": lambda c: [e["resource"]["issue"][0]["severity"] for e in search(c, f"patient={P02}")["entry"]
                                      if e.get("search", {}).get("mode") == "outcome"] == ["information"],
    "json-patch-only": _patch_refused,
    "instant-period-search": _instants,
    "transactions-capped-50": _capped,
    "minimal-capability": _minimal_capability,
    "minimal-return": _minimal_return,
    "gzip": lambda c: c.get("/metadata", headers={"Accept-Encoding": "gzip"}).headers.get("content-encoding") == "gzip",
    "chunked": lambda c: "content-length" not in c.get("/metadata").headers,
}


def test_every_variant_has_a_probe():
    assert set(PROBES) == set(VARIANTS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_changes_the_answer(client_for, name):
    assert PROBES[name](client_for(name)), f"{name}: the probe does not see the variation"
    assert not PROBES[name](client_for()), f"{name}: the probe sees the variation on the plain server"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_record_names_its_r4_rule(name):
    variant = VARIANTS[name]
    assert variant.name == name and variant.description
    assert "R4" in variant.r4_rule or "RFC" in variant.r4_rule


def test_unknown_variant_is_refused_with_the_valid_names():
    with pytest.raises(UnknownVariantError, match="getpages-links"):
        VariantSet(["no-such-variant"])
