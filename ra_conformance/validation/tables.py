"""Base FHIR R4 (4.0.1) tables, generated from the official R4 definition files.

The tables (``r4_tables.json``, shipped as package data) are written by
``python -m ra_conformance.validation.gen.r4_tables`` from the R4 definition bundles of an npm package
(see gen/source.py: package, version and sha256 are recorded in the tables' ``source``); a test proves the
committed file equals the generator's output. At run time only this JSON is read: no npm, no pydantic.

Shape: see gen/r4_tables.py. Type names are datatypes, resources, or backbone element paths
(``"MeasureReport.group"``); element rows are ``[type, isList, min1, refTargets, choiceGroup, binding]``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "r4_tables.json"


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The committed tables."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def source() -> dict[str, Any]:
    """Where the tables come from: npm package, version, sha256, FHIR version."""
    return load()["source"]


def resource_types() -> frozenset[str]:
    return frozenset(load()["resources"])


@lru_cache(maxsize=1)
def valueset_codes() -> dict[str, frozenset[tuple[str, str]]]:
    """value set url -> its expansion as (system, code) pairs (only the value sets expandable offline)."""
    return {url: frozenset((s, c) for s, c in codes) for url, codes in load()["valuesets"].items()}
