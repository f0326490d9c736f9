"""The committed kit is exactly what fixtures/build_kit.py writes, and transaction.json is in sync."""

from __future__ import annotations

import shutil

from ra_conformance import jsonio, kit


def test_committed_kit_matches_the_generator(build_kit, kit_dir):
    assert build_kit.differences(kit_dir, build_kit.render()) == []


def test_generator_is_deterministic_and_writes_every_file(build_kit, kit_dir, tmp_path):
    assert build_kit.main(["--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert written == sorted(build_kit.render())
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (kit_dir / rel).read_bytes(), rel


def test_sync_check_notices_an_edited_or_stray_file(build_kit, tmp_path):
    build_kit.main(["--out", str(tmp_path)])
    assert build_kit.main(["--out", str(tmp_path), "--check"]) == 0
    target = next((tmp_path / "resources").glob("Patient-*.json"))
    target.write_bytes(target.read_bytes().replace(b"  ", b"\t"))  # same JSON, other bytes
    shutil.copy(target, tmp_path / "resources" / "Patient-rac-stray.json")
    diff = build_kit.differences(tmp_path, build_kit.render())
    assert diff == [f"resources/{target.name}", "resources/Patient-rac-stray.json"]
    assert build_kit.main(["--out", str(tmp_path), "--check"]) == 1
    build_kit.main(["--out", str(tmp_path)])  # rewriting repairs both
    assert build_kit.differences(tmp_path, build_kit.render()) == []


def test_transaction_bundle_is_the_kit_as_puts(kit_dir, resources):
    bundle = jsonio.loads((kit_dir / "transaction.json").read_bytes())
    assert bundle == kit.transaction_bundle(resources)
    assert {e["request"]["method"] for e in bundle["entry"]} == {"PUT"}
