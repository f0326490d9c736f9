"""`ra-conform validate`: files, directories, Bundles and NDJSON (streamed, on every core) -> text, or JSON
records naming file, NDJSON line, resourceType and id with each resource's OperationOutcome."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from ra_conformance.ig import IG_VERSIONS
from ra_conformance.jsonio import JsonError, dumps_str, loads
from ra_conformance.validation.engine import validator_for
from ra_conformance.validation.issue import ERROR, Issue
from ra_conformance.validation.outcome import count, to_operation_outcome, write_text
from ra_conformance.validation.parallel import default_jobs, ordered_map

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


_BOM = b"\xef\xbb\xbf"


class Item(NamedTuple):
    """One resource of the input: where it is (file, NDJSON line or None) and its raw JSON."""

    file: str
    line: int | None
    data: bytes | None
    problem: str | None  # unreadable file


class Result(NamedTuple):
    file: str
    line: int | None
    resource_type: str | None
    id: str | None
    issues: list[Issue]

    @property
    def source(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


def _items(path: Path) -> Iterator[Item]:
    """One item per .json file, one per non-blank NDJSON line; a UTF-8 byte order mark is accepted."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield Item(str(path), None, None, f"cannot read: {exc.strerror}")
        return
    with handle:
        try:
            if path.suffix == ".ndjson":
                for number, line in enumerate(handle, 1):
                    if number == 1 and line.startswith(_BOM):
                        line = line[len(_BOM):]
                    if line.strip():
                        yield Item(str(path), number, line, None)
                return
            data = handle.read()
        except OSError as exc:
            yield Item(str(path), None, None, f"cannot read: {exc.strerror}")
            return
    yield Item(str(path), None, data[len(_BOM):] if data.startswith(_BOM) else data, None)


_WORKER: dict[str, Any] = {}


def _init_worker(version: str, profile: str | None) -> None:
    _WORKER.update(validator=validator_for(version), profile=profile)


def _judge_batch(batch: list[Item]) -> list[Result]:
    validator, profile = _WORKER["validator"], _WORKER["profile"]
    out = []
    for item in batch:
        if item.problem is not None or item.data is None:
            out.append(_unreadable(item, item.problem or "unreadable"))
            continue
        try:
            resource = loads(item.data)
        except JsonError as exc:
            out.append(_unreadable(item, f"not valid JSON: {exc}"))
            continue
        if not isinstance(resource, dict):
            out.append(_unreadable(item, "not a FHIR resource (expected a JSON object)"))
            continue
        rtype, rid = resource.get("resourceType"), resource.get("id")
        out.append(Result(item.file, item.line, rtype if isinstance(rtype, str) else None,
                          rid if isinstance(rid, str) else None,
                          validator.validate(resource, profile, ordinal=item.line or 1)))
    return out


def run_validate(paths: list[str], *, version: str, profile: str | None, fmt: str, out: TextIO, err: TextIO,
                 jobs: int | None = None) -> int:
    """The whole `ra-conform validate` behaviour; returns the exit code (0 clean, 1 errors, 2 usage).
    ``jobs``: worker processes (None: every core)."""
    if version not in IG_VERSIONS:
        err.write(f"error: unknown IG version {version!r} (choose from {', '.join(IG_VERSIONS)})\n")
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
    items = (item for path in files for item in _items(path))
    for result in ordered_map(_judge_batch, items, jobs or default_jobs(), _init_worker, (version, profile)):
        _emit(result, fmt, out)
        errors, warnings = count(result.issues)
        totals[0] += 1
        totals[1] += errors
        totals[2] += warnings
    if totals[0] == 0:
        err.write(f"error: no FHIR resource found in {', '.join(paths)} (expected .json files or .ndjson lines)\n")
        return EXIT_USAGE
    if fmt == "text":
        out.write(f"{totals[0]} resource(s) checked against IG {version}: {totals[1]} error(s), "
                  f"{totals[2]} warning(s)\n")
    return EXIT_ERRORS if totals[1] else EXIT_OK


def _unreadable(item: Item, problem: str) -> Result:
    source = item.file if item.line is None else f"{item.file}:{item.line}"
    return Result(item.file, item.line, None, None, [Issue(ERROR, "(file)", "struct-json", problem, source)])


def _emit(result: Result, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        record: dict[str, Any] = {"file": result.file}
        if result.line is not None:
            record["line"] = result.line
        record.update(resourceType=result.resource_type, id=result.id,
                      outcome=to_operation_outcome(result.issues))
        out.write(dumps_str(record) + "\n")
    else:
        write_text(result.source, result.issues, out)
