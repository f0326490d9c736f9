"""Where the files shipped with ra-conform live: found through the import system, never relative to a checkout.

The repository keeps them in `testsuites/`, `fixtures/` and `docs/`; setup.py installs them (and an editable
install maps them) as the packages `ra_conformance.suites`, `ra_conformance.fixture_kit` and `ra_conformance.docs`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SUITES_PACKAGE = "ra_conformance.suites"
KIT_PACKAGE = "ra_conformance.fixture_kit"
DOCS_PACKAGE = "ra_conformance.docs"


class MissingDataError(RuntimeError):
    """A file that ships with ra-conform is absent (a broken install)."""


def package_dir(package: str) -> Path:
    """The folder of a bundled package (installs are unzipped: wheels, pipx and editable installs all are)."""
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise MissingDataError(f"{package} is not installed (reinstall ra-conform)") from None
    path = Path(str(root))
    if not path.is_dir():
        raise MissingDataError(f"{package} is not a folder on disk ({root}); install ra-conform unzipped")
    return path


def suites_dir() -> Path:
    return package_dir(SUITES_PACKAGE)


def kit_dir() -> Path:
    return package_dir(KIT_PACKAGE)


def docs_file(name: str) -> Path:
    return package_dir(DOCS_PACKAGE) / name
