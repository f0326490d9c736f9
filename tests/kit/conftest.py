"""Fixtures of the kit tests: the committed kit, loaded once per session (`expectations`: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ra_conformance import kit

KIT_DIR = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="session")
def kit_dir() -> Path:
    return KIT_DIR


@pytest.fixture(scope="session")
def resources() -> list[dict[str, Any]]:
    return list(kit.iter_resources(KIT_DIR))


@pytest.fixture(scope="session")
def build_kit():
    """fixtures/build_kit.py as a module (it is a script, not part of the package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ra_conform_build_kit", KIT_DIR / "build_kit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
