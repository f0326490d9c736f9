"""Recorded requests built by hand, for unit tests of the client checks."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ra_conformance.client.judge_base import Observed
from ra_conformance.client.recorder import Recorded
from ra_conformance.client.scenarios import BY_NAME

KIT = Path(__file__).resolve().parents[2] / "fixtures" / "resources"
BASE = "http://127.0.0.1:9"


def req(method: str, path: str, *, query: list[tuple[str, str]] | None = None, body: Any = None,
        headers: Mapping[str, str | None] | None = None, status: int = 200, response: Any = None,
        response_headers: dict[str, str] | None = None, received: float = 0.0, responded: float | None = None,
        seq: int = 1) -> Recorded:
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    hdrs = {"accept": "application/fhir+json", **({"content-type": "application/fhir+json"} if raw else {}), **(headers or {})}
    return Recorded(seq, None, method, path, list(query or []), [(k.lower(), v) for k, v in hdrs.items() if v is not None],
                    raw, received, status, [(k.lower(), v) for k, v in (response_headers or {}).items()],
                    json.dumps(response).encode() if response is not None else b"", received + 0.01 if responded is None else responded)


def observed(scenario: str, *records: Recorded, version: str = "2.1.0", **kw: Any) -> Observed:
    return Observed(BY_NAME[scenario], version, list(records), BASE, **kw)


def kit_report() -> dict[str, Any]:
    return copy.deepcopy(json.loads((KIT / "MeasureReport-rac-mr-p01-v28.json").read_text(encoding="utf-8")))
