"""`ra-conform validate`: files, directories, Bundles and NDJSON (streamed) -> text or OperationOutcomes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, TextIO

from ra_conformance.ig import IG_VERSIONS
from ra_conformance.jsonio import JsonError, dumps_str, loads
from ra_conformance.validation.engine import validator_for
from ra_conformance.validation.issue import ERROR, Issue
from ra_conformance.validation.outcome import count, to_operation_outcome, write_text

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
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


def _items(path: Path) -> Iterator[tuple[str, Any, str | None]]:
    """(source, resource, error) per resource: one per .json file, one per NDJSON line."""
    if path.suffix == ".ndjson":
        try:
            handle = path.open("rb")
        except OSError as exc:
            yield str(path), None, f"cannot read: {exc.strerror}"
            return
        with handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield from _parse(f"{path}:{number}", line)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield str(path), None, f"cannot read: {exc.strerror}"
        return
    yield from _parse(str(path), data)


def _parse(source: str, data: bytes) -> Iterator[tuple[str, Any, str | None]]:
    try:
        resource = loads(data)
    except JsonError as exc:
        yield source, None, f"not valid JSON: {exc}"
        return
    if not isinstance(resource, dict):
        yield source, None, "not a FHIR resource (expected a JSON object)"
        return
    yield source, resource, None


def run_validate(paths: list[str], *, version: str, profile: str | None, fmt: str, out: TextIO, err: TextIO) -> int:
    """The whole `ra-conform validate` behaviour; returns the exit code (0 clean, 1 errors, 2 usage)."""
    if version not in IG_VERSIONS:
        err.write(f"error: unknown IG version {version!r} (choose from {', '.join(IG_VERSIONS)})\n")
        return EXIT_USAGE
    if fmt not in ("text", "json"):
        err.write(f"error: unknown format {fmt!r} (text or json)\n")
        return EXIT_USAGE
    if not paths:
        err.write("error: give at least one file or directory\n")
        return EXIT_USAGE
    validator = validator_for(version)
    if profile is not None and profile.split("|", 1)[0] not in validator.rules.profiles:
        err.write(f"error: {profile} is not a profile of IG version {version}\n")
        return EXIT_USAGE
    totals = [0, 0, 0]  # resources, errors, warnings
    try:
        for path in _files(paths):
            for ordinal, (source, resource, problem) in enumerate(_items(path), 1):
                issues = (_unreadable(source, problem) if problem is not None
                          else validator.validate(resource, profile, ordinal=ordinal))
                _emit(source, issues, fmt, out)
                errors, warnings = count(issues)
                totals[0] += 1
                totals[1] += errors
                totals[2] += warnings
    except UsageError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    if fmt == "text":
        out.write(f"{totals[0]} resource(s) checked against IG {version}: {totals[1]} error(s), "
                  f"{totals[2]} warning(s)\n")
    return EXIT_ERRORS if totals[1] else EXIT_OK


def _unreadable(source: str, problem: str) -> list[Issue]:
    return [Issue(ERROR, "(file)", "struct-json", problem, source)]


def _emit(source: str, issues: list[Issue], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        outcome = to_operation_outcome(issues)
        out.write(dumps_str(outcome) + "\n")
    else:
        write_text(source, issues, out)
