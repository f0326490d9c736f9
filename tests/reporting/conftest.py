"""Report tests: the `browser` marker and a headless Chromium (Debian's package, installed when absent)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM_INSTALL_TIMEOUT = 600


def pytest_configure(config: pytest.Config) -> None:
    # pyproject.toml does not register this marker (yet); harmless duplicate once it does.
    config.addinivalue_line("markers", "browser: renders report.html in headless Chromium (installs it via apt when absent)")


def _install_chromium() -> str | None:
    """Why Chromium could not be had, or None once it is installed."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "chromium is not installed and we are not root (install the Debian package `chromium`)"
    if shutil.which("apt-get") is None:
        return "chromium is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CHROMIUM_INSTALL_TIMEOUT)
            if done.returncode != 0:
                return f"`{' '.join(cmd)}` failed ({done.returncode}): {done.stderr.strip()[-300:]}"
    except subprocess.TimeoutExpired:
        return f"installing chromium took longer than {CHROMIUM_INSTALL_TIMEOUT} s"
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        why = _install_chromium()
        path = shutil.which("chromium")
        if path is None:
            pytest.skip(why or "chromium is still not on PATH after installing the Debian package")
    return path
