"""`ra-conform validate` behaviour through run_validate: files, directories, NDJSON, formats, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import orjson

from ra_conformance.validation import run_validate

from .validation_samples import SD, patient, report_v21


def _run(paths: list[Path | str], **kw) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = {"version": "2.1.0", "profile": None, "fmt": "text", **kw}
    code = run_validate([str(p) for p in paths], out=out, err=err, **args)
    return code, out.getvalue(), err.getvalue()


def _write(path: Path, resource: object) -> Path:
    path.write_bytes(orjson.dumps(resource))
    return path


def test_valid_file_exits_0(tmp_path):
    code, out, err = _run([_write(tmp_path / "mr.json", report_v21())])
    assert (code, err) == (0, "")
    assert "1 resource(s) checked against IG 2.1.0: 0 error(s)" in out


def test_errors_are_grouped_by_resource_with_location_and_rule(tmp_path):
    bad = dict(report_v21(), type="summary")
    code, out, _ = _run([_write(tmp_path / "mr.json", bad)])
    assert code == 1
    assert "MeasureReport/mr-t1: 1 error(s), 0 warning(s)" in out
    assert "MeasureReport.type  [REQ-101]" in out


def test_ndjson_is_streamed_line_by_line(tmp_path):
    lines = [report_v21(), dict(report_v21(), id="mr-2", date="2024-99-01"), patient()]
    path = tmp_path / "all.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in lines) + b"\n\n")
    code, out, _ = _run([path])
    assert code == 1
    assert f"{path}:2: MeasureReport/mr-2" in out
    assert "3 resource(s) checked" in out


def test_not_json_is_a_clear_error_not_a_traceback(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"resourceType": "Patient",')
    nd = tmp_path / "x.ndjson"
    nd.write_text('{"resourceType": "Patient", "id": "p"}\nnot json\n')
    code, out, err = _run([path, nd])
    assert code == 1 and "Traceback" not in out + err
    assert "not valid JSON" in out and f"{nd}:2" in out


def test_directories_are_walked_and_json_format_prints_one_outcome_per_resource(tmp_path):
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "a.json", report_v21())
    _write(tmp_path / "sub" / "b.json", dict(report_v21(), status="final"))
    (tmp_path / "notes.txt").write_text("ignored")
    code, out, _ = _run([tmp_path], fmt="json")
    outcomes = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(outcomes) == 2
    assert [(o["file"], o["resourceType"], o["id"]) for o in outcomes] == [
        (str(tmp_path / "a.json"), "MeasureReport", "mr-t1"), (str(tmp_path / "sub" / "b.json"), "MeasureReport", "mr-t1")]
    assert all(o["outcome"]["resourceType"] == "OperationOutcome" for o in outcomes)
    assert outcomes[0]["outcome"]["issue"][0]["severity"] == "information"
    assert outcomes[1]["outcome"]["issue"][0]["details"]["coding"][0]["code"] == "struct-binding"


def test_explicit_profile_option(tmp_path):
    report = report_v21()
    del report["meta"], report["subject"]
    path = _write(tmp_path / "mr.json", report)
    assert _run([path])[0] == 0
    code, out, _ = _run([path], profile=SD + "ra-measurereport")
    assert code == 1 and "[REQ-103]" in out


def test_usage_errors_exit_2(tmp_path):
    path = _write(tmp_path / "mr.json", report_v21())
    assert _run([path], version="3.0")[0] == 2
    assert _run([path], fmt="xml")[0] == 2
    assert _run([path], profile=SD + "unknown")[0] == 2
    assert _run([])[0] == 2
    code, _, err = _run([tmp_path / "missing.json"])
    assert code == 2 and "no such file" in err


def test_no_resource_found_is_a_usage_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    (tmp_path / "empty.ndjson").write_bytes(b"\n\n")
    code, out, err = _run([tmp_path])
    assert code == 2 and "no FHIR resource found" in err and out == ""


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    json_file = tmp_path / "mr.json"
    json_file.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(report_v21()))
    ndjson = tmp_path / "all.ndjson"
    ndjson.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(report_v21()) + b"\n" + orjson.dumps(patient()) + b"\n")
    code, out, _ = _run([json_file, ndjson])
    assert code == 0 and "3 resource(s) checked" in out


def test_json_records_name_the_ndjson_line_and_resource(tmp_path):
    ndjson = tmp_path / "all.ndjson"
    ndjson.write_bytes(orjson.dumps(report_v21()) + b"\n\n" + b"{oops\n" + orjson.dumps(patient()) + b"\n")
    code, out, _ = _run([ndjson], fmt="json")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [(r["line"], r["resourceType"], r["id"]) for r in records] == [
        (1, "MeasureReport", "mr-t1"), (3, None, None), (4, "Patient", patient()["id"])]
    assert records[1]["outcome"]["issue"][0]["details"]["coding"][0]["code"] == "struct-json"


def test_jobs_below_1_is_a_usage_error(tmp_path):
    assert _run([_write(tmp_path / "mr.json", report_v21())], jobs=0)[0] == 2
