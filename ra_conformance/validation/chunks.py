"""The input of `ra-conform validate` as chunks any process can judge on its own.

A chunk names where its bytes are — whole .json files, or a line-aligned byte range of an NDJSON file with the
number of its first line — never the bytes themselves, so only a few offsets cross to a worker process. Whoever
judges a chunk reads, parses, validates and renders it, and returns the output text with its counts.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from ra_conformance.issues import ERROR, Issue
from ra_conformance.jsonio import JsonError, dumps_str, loads
from ra_conformance.validation.engine import validator_for
from ra_conformance.validation.outcome import count, to_operation_outcome, write_text

CHUNK_BYTES = 512 * 1024  # ~50 ms of validation: fine-grained enough to balance, coarse enough to be cheap
_BOM = b"\xef\xbb\xbf"


class Piece(NamedTuple):
    """A whole .json file (``first_line`` None), or bytes [start, end) of an NDJSON file starting at line
    ``first_line``; ``problem``: the file could not be read."""

    file: str
    start: int = 0
    end: int = -1
    first_line: int | None = None
    problem: str | None = None


Chunk = tuple[Piece, ...]


class Judged(NamedTuple):
    """What a chunk gave: the rendered output and its counts."""

    text: str
    resources: int
    errors: int
    warnings: int


class Result(NamedTuple):
    file: str
    line: int | None
    resource_type: str | None
    id: str | None
    issues: list[Issue]

    @property
    def source(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


# -- planning (the calling process) -----------------------------------------------------------------------


def chunks(files: Iterable[Path], size: int | None = None) -> Iterator[Chunk]:
    """Chunks of about ``size`` bytes (default CHUNK_BYTES): NDJSON files cut at line ends, .json files grouped."""
    size = size or CHUNK_BYTES
    group: list[Piece] = []
    grouped = 0
    for path in files:
        for piece in _pieces(path, size):
            group.append(piece)
            grouped += (piece.end - piece.start) if piece.end >= 0 else size_of(path)
            if grouped >= size:
                yield tuple(group)
                group, grouped = [], 0
    if group:
        yield tuple(group)


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _pieces(path: Path, size: int) -> Iterator[Piece]:
    if path.suffix != ".ndjson":
        yield Piece(str(path))
        return
    try:
        with path.open("rb") as handle:
            start, line = 0, 1
            while data := handle.read(size):
                if not data.endswith(b"\n"):
                    data += handle.readline()
                yield Piece(str(path), start, start + len(data), line)
                start += len(data)
                line += data.count(b"\n")
    except OSError as exc:
        yield Piece(str(path), problem=f"cannot read: {exc.strerror}")


# -- judging (any process) --------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def prepare(version: str, profile: str | None, fmt: str) -> None:
    """Set this process up to judge chunks (the validator of ``version``, output ``fmt``)."""
    _STATE.update(validator=validator_for(version), profile=profile, fmt=fmt)


def judge(chunk: Chunk) -> Judged:
    """Validate every resource of ``chunk`` and render the results (after :func:`prepare`)."""
    out = io.StringIO()
    resources = errors = warnings = 0
    for piece in chunk:
        for result in _results(piece):
            emit(result, _STATE["fmt"], out)
            found = count(result.issues)
            resources, errors, warnings = resources + 1, errors + found[0], warnings + found[1]
    return Judged(out.getvalue(), resources, errors, warnings)


def _results(piece: Piece) -> Iterator[Result]:
    if piece.problem is not None:
        yield _unreadable(piece.file, None, piece.problem)
        return
    try:
        with open(piece.file, "rb") as handle:
            handle.seek(piece.start)
            data = handle.read() if piece.end < 0 else handle.read(piece.end - piece.start)
    except OSError as exc:
        yield _unreadable(piece.file, piece.first_line, f"cannot read: {exc.strerror}")
        return
    if piece.first_line is None:
        yield _judge_one(piece.file, None, data[len(_BOM):] if data.startswith(_BOM) else data)
        return
    for number, line in enumerate(data.split(b"\n"), piece.first_line):
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM):]
        if line.strip():
            yield _judge_one(piece.file, number, line)


def _judge_one(file: str, line: int | None, data: bytes) -> Result:
    try:
        resource = loads(data)
    except JsonError as exc:
        return _unreadable(file, line, f"not valid JSON: {exc}")
    if not isinstance(resource, dict):
        return _unreadable(file, line, "not a FHIR resource (expected a JSON object)")
    rtype, rid = resource.get("resourceType"), resource.get("id")
    issues = _STATE["validator"].validate(resource, _STATE["profile"], ordinal=line or 1)
    return Result(file, line, rtype if isinstance(rtype, str) else None, rid if isinstance(rid, str) else None, issues)


def _unreadable(file: str, line: int | None, problem: str) -> Result:
    source = file if line is None else f"{file}:{line}"
    return Result(file, line, None, None, [Issue(ERROR, "(file)", "struct-json", problem, source)])


def emit(result: Result, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        record: dict[str, Any] = {"file": result.file}
        if result.line is not None:
            record["line"] = result.line
        record.update(resourceType=result.resource_type, id=result.id,
                      outcome=to_operation_outcome(result.issues))
        out.write(dumps_str(record) + "\n")
    else:
        write_text(result.source, result.issues, out)
