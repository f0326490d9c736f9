"""Report tests: the `browser` marker and a headless Chromium (Debian's package `chromium`).

The tests never install system packages: without Chromium the browser tests skip with the reason.
`.ci/run` installs Debian's chromium first, so CI always runs them.
"""

from __future__ import annotations

import shutil

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: renders report.html in headless Chromium (skipped when chromium is absent)")


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (Debian: `apt-get install chromium`; .ci/run installs it in CI)")
    return path
