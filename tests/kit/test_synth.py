"""The synthetic scale data set: valid 2.1.0 resources, deterministic, streamed, loadable by the server."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from ra_conformance.kit.synth import GROUP_ID, GenerateError, generate, patient_id
from ra_conformance.server.ingest import load_paths
from ra_conformance.server.store import Store
from ra_conformance.validation import validator_for


def read(out: Path) -> list[dict]:
    return [orjson.loads(line) for f in sorted(out.glob("*.ndjson")) for line in f.read_bytes().splitlines()]


def test_files_counts_and_ids(tmp_path: Path):
    report = generate(4, tmp_path, reports_per_patient=2)
    resources = read(tmp_path)
    assert Counter(r["resourceType"] for r in resources) == report.counts == {
        "Patient": 4, "Encounter": 8, "Condition": 8, "MeasureReport": 8, "Group": 1, "Measure": 1, "Organization": 1}
    assert all(r["id"].startswith("syn-") for r in resources)
    assert {f.name for f in tmp_path.iterdir()} == {f"{t}.ndjson" for t in report.counts}
    assert report.bytes == sum(f.stat().st_size for f in tmp_path.iterdir()) and report.resources == 31
    [group] = [r for r in resources if r["resourceType"] == "Group"]
    assert group["id"] == GROUP_ID and [m["entity"]["reference"] for m in group["member"]] == [
        f"Patient/{patient_id(i)}" for i in range(4)]


def test_every_resource_is_valid_for_2_1_0(tmp_path: Path):
    generate(12, tmp_path)
    validator = validator_for("2.1.0")
    errors = [(r["id"], i.message) for r in read(tmp_path) for i in validator.validate(r) if i.severity in ("error", "fatal")]
    assert errors == []


def test_deterministic_for_a_seed(tmp_path: Path):
    generate(5, tmp_path / "a", seed=7)
    generate(5, tmp_path / "b", seed=7)
    generate(5, tmp_path / "c", seed=8)
    a, b, c = (read(tmp_path / d) for d in "abc")
    assert a == b and a != c


def test_every_report_cites_resources_of_its_patient(tmp_path: Path):
    generate(3, tmp_path)
    resources = read(tmp_path)
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    for mr in (r for r in resources if r["resourceType"] == "MeasureReport"):
        cited = [e["reference"] for e in mr["evaluatedResource"]]
        assert set(cited) <= present and all(mr["subject"]["reference"][-7:] in ref for ref in cited)


def test_the_server_loader_accepts_the_data_set(tmp_path: Path):
    generate(3, tmp_path / "data")
    with Store(tmp_path / "db") as store:
        assert load_paths(store, [tmp_path / "data"]) == 33
        assert len(store.coding_gap_reports(f"Patient/{patient_id(2)}")) == 3


@pytest.mark.parametrize("patients, per", [(0, 3), (-5, 3), (3, 0), (3, 21)])
def test_bad_arguments(tmp_path: Path, patients: int, per: int):
    with pytest.raises(GenerateError):
        generate(patients, tmp_path, reports_per_patient=per)


def test_unwritable_output_is_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GenerateError, match="cannot write"):
        generate(2, blocker / "sub")
