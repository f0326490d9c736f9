"""A wheel installed in a fresh venv, run from an empty folder, certifies like a clone does (issue 11, item 1).

Marked `wheel` (deselect with `-m 'not wheel'`); CI runs it. About a minute: one wheel build, one venv.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from .installed import Installed, install

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return install(tmp_path_factory.mktemp("wheel"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wheel_has_no_top_level_testsuites_and_ships_its_data(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"ra_conformance", installed.wheel.name.split("-")[0] + "-" + installed.wheel.name.split("-")[1] + ".dist-info"}
    for needed in ("ra_conformance/suites/pytest.ini", "ra_conformance/suites/test_group.py",
                   "ra_conformance/fixture_kit/expectations.json", "ra_conformance/fixture_kit/resources/Patient-rac-p01.json",
                   "ra_conformance/docs/summary.schema.json", "ra_conformance/ig/requirements.json"):
        assert needed in names, needed
    assert not any(n.startswith("ra_conformance/fixture_kit/kitgen") or n.endswith("build_kit.py") for n in names)


def test_the_installed_copy_is_the_one_imported(installed: Installed) -> None:
    done = subprocess.run([str(installed.python), "-c", "import ra_conformance, importlib.util as u; "
                           "print(ra_conformance.__file__); print(u.find_spec('testsuites'))"],
                          cwd=installed.workdir, env=installed.env(), capture_output=True, text=True, timeout=60)
    where, testsuites = done.stdout.split()
    assert Path(where).is_relative_to(installed.venv) and testsuites == "None", done.stdout + done.stderr


def test_run_from_an_empty_folder_certifies_the_reference_server(installed: Installed) -> None:
    done = installed.run("run", "--report-dir", "reports")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((installed.workdir / "reports" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "pass" and summary["counts"]["pass"] > 200 and summary["counts"]["error"] == 0
    assert {"junit.xml", "report.html", "summary.json"} <= {p.name for p in (installed.workdir / "reports").iterdir()}
    assert "total" in done.stdout and "suite single_patient:" in done.stderr  # results on stdout, progress on stderr


def test_plan_lists_parametrized_ids(installed: Installed) -> None:
    done = installed.run("plan")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "test_req_024_overlap[" in done.stdout and "will be skipped" in done.stdout


def test_selftest_one_fault(installed: Installed) -> None:
    done = installed.run("selftest", "--fault", "accept-bare-id", "--report-dir", "selftest")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 of 1 faults caught" in done.stdout and "fault 1/1 accept-bare-id: caught" in done.stderr


def test_validate_an_installed_kit_file(installed: Installed) -> None:
    done = subprocess.run([str(installed.python), "-c", "from ra_conformance.bundled import kit_dir; print(kit_dir())"],
                          cwd=installed.workdir, env=installed.env(), capture_output=True, text=True, timeout=60)
    kit = Path(done.stdout.strip())
    assert kit.is_relative_to(installed.venv), done.stdout + done.stderr
    checked = installed.run("validate", str(kit / "resources" / "Patient-rac-p01.json"), str(kit / "resources"))
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]


def test_serve_fixtures_load_and_plain_pytest(installed: Installed) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(installed.ra_conform), "serve", "--port", str(port), "--data-dir", "srv", "--log-level", "warning"],
                              cwd=installed.workdir, env=installed.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/metadata", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert httpx.get(f"{base}/Patient/rac-p01", timeout=5).status_code == 200  # serve loaded the bundled kit
        loaded = installed.run("fixtures", "load", "--target", base)
        assert loaded.returncode == 0 and loaded.stdout.startswith("loaded "), loaded.stdout + loaded.stderr
        plain = subprocess.run([str(installed.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "ra_conformance.suites",
                                "--ra-target", base, "--ra-report-dir", "plain-reports"],
                               cwd=installed.workdir, env=installed.env(), capture_output=True, text=True, timeout=300)
        assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr[-3000:]
        assert "passed" in plain.stdout and (installed.workdir / "plain-reports" / "summary.json").is_file()
    finally:
        server.terminate()
        server.wait(timeout=30)
