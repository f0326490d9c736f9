"""SQLite store: persistence across reopen, versions, index columns, atomicity; loading from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ra_conformance import jsonio, kit
from ra_conformance.server.ingest import LoadError, load_paths
from ra_conformance.server.store import Store

from .server_world import patient, report, world


def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        s.put(patient("p1"))
        s.put(report("r1", "p1", "2024-01-01", "2024-12-31"))
    with Store(tmp_path) as s:
        assert (s.get("Patient", "p1") or {}).get("meta", {}).get("versionId") == "1"
        assert [r["id"] for r in s.coding_gap_reports("Patient/p1")] == ["r1"]
    assert (tmp_path / "store.sqlite").is_file()


def test_put_versions_changes_and_ignores_unchanged_content(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        first, created = s.put(patient("p1"))
        assert created and first["meta"]["versionId"] == "1" and first["meta"]["lastUpdated"].endswith("Z")
        same, created = s.put({**patient("p1"), "meta": {"versionId": "77"}})
        assert not created and same["meta"]["versionId"] == "1"
        changed, created = s.put({**patient("p1"), "gender": "female"})
        assert not created and changed["meta"]["versionId"] == "2"


def test_create_assigns_a_fresh_id_and_delete_removes(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        a, b = s.create(patient("x")), s.create(patient("x"))
        assert a["id"] != b["id"] and s.exists("Patient", a["id"])
        assert s.delete("Patient", a["id"]) and not s.delete("Patient", a["id"])
        assert s.get("Patient", a["id"]) is None


def test_index_columns_drive_coding_gap_lookup(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        for r in world():
            s.put(r)
        assert [r["id"] for r in s.coding_gap_reports("Patient/p1")] == ["r3", "r1", "r2"]  # by period start
        assert "nonra" not in [r["id"] for r in s.coding_gap_reports()]
        assert [r["id"] for r in s.query("MeasureReport", ["period_end < ?"], ["2024-01-01"])] == ["r3", "r5"]


def test_atomic_rolls_back_everything_on_error(tmp_path: Path) -> None:
    with Store(tmp_path) as s:
        with pytest.raises(RuntimeError), s.atomic():
            s.put(patient("p1"))
            with s.atomic():
                s.put(patient("p2"))
            raise RuntimeError("boom")
        assert s.count() == 0


# -- loading ------------------------------------------------------------------------------------------


def _write(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jsonio.dumps(obj))
    return path


def test_load_a_kit_dir_a_json_dir_a_bundle_and_ndjson(tmp_path: Path) -> None:
    kit_dir = tmp_path / "kit"
    _write(kit_dir / "resources" / "Patient-k1.json", patient("k1"))
    plain = tmp_path / "plain"
    _write(plain / "a.json", patient("d1"))
    _write(plain / "sub" / "b.json", patient("d2"))
    bundle = _write(tmp_path / "tx.json", kit.transaction_bundle([patient("t1"), patient("t2")]))
    coll = _write(tmp_path / "coll.json", {"resourceType": "Bundle", "type": "collection",
                                           "entry": [{"resource": patient("c1")}]})
    nd = tmp_path / "x.ndjson"
    nd.write_bytes(b"\n".join(jsonio.dumps(patient(p)) for p in ("n1", "n2")) + b"\n\n")
    single = _write(tmp_path / "one.json", patient("s1"))
    with Store(tmp_path / "data") as s:
        assert load_paths(s, [kit_dir, plain, bundle, coll, nd, single]) == 9
        assert load_paths(s, [kit_dir, plain, bundle, coll, nd, single]) == 9  # idempotent
        assert sorted(p["id"] for p in s.all("Patient")) == ["c1", "d1", "d2", "k1", "n1", "n2", "s1", "t1", "t2"]
        assert all(p["meta"]["versionId"] == "1" for p in s.all("Patient"))


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("bad.json", b"{not json", "not JSON"),
        ("list.json", b"[1, 2]", "not a JSON object"),
        ("notype.json", b'{"id": "x"}', "resourceType"),
        ("badid.json", b'{"resourceType": "Patient", "id": "no spaces"}', "not a valid FHIR id"),
        ("bad.ndjson", b'{"resourceType": "Patient", "id": "a"}\n{oops\n', "bad.ndjson:2"),
    ],
)
def test_bad_files_are_a_clear_load_error_and_load_nothing(tmp_path: Path, name: str, content: bytes,
                                                           fragment: str) -> None:
    good = _write(tmp_path / "good.json", patient("g"))
    bad = tmp_path / name
    bad.write_bytes(content)
    with Store(tmp_path / "data") as s:
        with pytest.raises(LoadError, match=fragment.replace(".", r"\.")):
            load_paths(s, [good, bad])
        assert s.count() == 0


def test_missing_path_is_a_load_error(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as s, pytest.raises(LoadError, match="no such file"):
        load_paths(s, [tmp_path / "nowhere"])
