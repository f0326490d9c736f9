"""`ra-conform validate`: files, directories, Bundles and NDJSON (streamed, on every core) -> text, or JSON
records naming file, NDJSON line, resourceType and id with each resource's OperationOutcome (chunks.py judges)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ra_conformance.ig import versions
from ra_conformance.validation.chunks import chunks, judge, prepare, size_of
from ra_conformance.validation.engine import validator_for
from ra_conformance.validation.parallel import PoolStats, WorkerCrashed, default_jobs, ordered_map

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 4
_SUFFIXES = (".json", ".ndjson")


class UsageError(ValueError):
    """Bad arguments (exit 2)."""


def _files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    if name.endswith(_SUFFIXES):
                        yield Path(root) / name
        elif path.is_file():
            yield path
        else:
            raise UsageError(f"no such file or directory: {raw}")


PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below ~0.4 s of work, starting a worker costs more than it saves


def _jobs_for(files: list[Path], jobs: int | None) -> int:
    """The processes worth using: one for a small input, else ``jobs`` (default every core)."""
    total = sum(size_of(path) for path in files)
    return 1 if total < PARALLEL_MIN_BYTES else jobs or default_jobs()


def run_validate(paths: list[str], *, version: str, profile: str | None, fmt: str, out: TextIO, err: TextIO,
                 jobs: int | None = None, stats: PoolStats | None = None) -> int:
    """The whole `ra-conform validate` behaviour; returns the exit code (0 clean, 1 errors, 2 usage, 4 a worker
    died). ``jobs``: processes validating, this one included (None: every core); ``stats``: filled for benchmarks."""
    if version not in versions.ids():
        err.write(f"error: unknown IG version {version!r} (choose from {', '.join(versions.ids())})\n")
        return EXIT_USAGE
    if fmt not in ("text", "json"):
        err.write(f"error: unknown format {fmt!r} (text or json)\n")
        return EXIT_USAGE
    if not paths:
        err.write("error: give at least one file or directory\n")
        return EXIT_USAGE
    if jobs is not None and jobs < 1:
        err.write(f"error: --jobs must be at least 1 (got {jobs})\n")
        return EXIT_USAGE
    validator = validator_for(version)
    if profile is not None and profile.split("|", 1)[0] not in validator.rules.profiles:
        err.write(f"error: {profile} is not a profile of IG version {version}\n")
        return EXIT_USAGE
    try:
        files = list(_files(paths))
    except UsageError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    totals = [0, 0, 0]  # resources, errors, warnings
    try:
        for judged in ordered_map(judge, chunks(files), _jobs_for(files, jobs), prepare, (version, profile, fmt),
                                  stats=stats):
            out.write(judged.text)
            totals = [totals[0] + judged.resources, totals[1] + judged.errors, totals[2] + judged.warnings]
    except WorkerCrashed as exc:
        err.write(f"error: {exc}; run again with --jobs 1\n")
        return EXIT_INTERNAL
    if totals[0] == 0:
        err.write(f"error: no FHIR resource found in {', '.join(paths)} (expected .json files or .ndjson lines)\n")
        return EXIT_USAGE
    if fmt == "text":
        out.write(f"{totals[0]} resource(s) checked against IG {version}: {totals[1]} error(s), "
                  f"{totals[2]} warning(s)\n")
    return EXIT_ERRORS if totals[1] else EXIT_OK
