"""A built wheel installed into a fresh virtual environment outside the repository (the user's view).

The wheel is built from a copy of the sources; the venv reuses the already-installed dependencies through a
.pth line (no download, no editable finder: .pth files are not read from directories a .pth adds), and pip
installs only the wheel (`--no-deps --no-index`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "ra_conformance", "testsuites", "fixtures", "docs")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".ra-conform")


@dataclass(frozen=True)
class Installed:
    venv: Path
    python: Path
    ra_conform: Path
    wheel: Path
    workdir: Path  # an empty folder outside the repository

    def env(self) -> dict[str, str]:
        """The environment of a user's shell: nothing of the test run (pytest, xdist, our settings) leaks in."""
        drop = ("PYTEST_", "RA_CONFORM_", "PYTHONPATH", "VIRTUAL_ENV", "COV_CORE")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def run(self, *args: str, timeout: float = 240, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.ra_conform), *args], cwd=self.workdir, env=self.env(), capture_output=True,
                              text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


def _pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"pip {' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=SKIP)
        else:
            shutil.copy2(path, src / name)
    # Build isolation fetches setuptools>=77 (pyproject's build requirement) from the pip cache or PyPI.
    _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp / "dist"), str(src), cwd=tmp)
    (wheel,) = (tmp / "dist").glob("ra_conform-*.whl")
    return wheel


def install(tmp: Path) -> Installed:
    wheel = build_wheel(tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "ra_conform_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    _pip("--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel), cwd=tmp)
    workdir = tmp / "empty"
    workdir.mkdir()
    return Installed(venv=venv, python=python, ra_conform=venv / "bin" / "ra-conform", wheel=wheel, workdir=workdir)
