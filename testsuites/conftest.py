"""Fixtures the suites share beyond the plugin's (`ra`, `verdict`, `validator`): the asynchronous export."""

from __future__ import annotations

from typing import Any

import pytest

from ra_conformance.fhir import async_pattern as ap
from ra_conformance.fhir.operation import parameters_body
from ra_conformance.harness.context import RaContext
from ra_conformance.harness.export import Export, run_export, scenario_params

from .scenarios import CANCELLED, EXPORTED


@pytest.fixture(scope="module")
def export(ra: RaContext, validator: Any) -> Export:
    """The probe and the export every file test reads: kick-off, poll, download and audit every file."""
    return run_export(ra.client, ra.operation.path, ra.kit.scenario(EXPORTED), poll_limit=ra.settings.async_timeout,
                      validator=validator)


@pytest.fixture(scope="module")
def posted(ra: RaContext, export: Export) -> ap.Kickoff:
    """A second job, kicked off with the POST form (cancelled by the cancel test)."""
    return ap.kickoff(ra.client, ra.operation.path, method="POST", body=parameters_body(scenario_params(ra.kit.scenario(CANCELLED))))
