"""Shared fixtures of the validator tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .validation_ig import SHARED_IG


@pytest.fixture(scope="session")
def shared_ig() -> Path:
    if not SHARED_IG.is_dir():
        pytest.skip(f"IG files not found at {SHARED_IG} (the shared/ folder beside the repository)")
    return SHARED_IG
