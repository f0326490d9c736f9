"""Loading resources into the store from files: a fixture kit, a directory, a resource, a Bundle or NDJSON.

Loading is idempotent (PUT at each resource's id; unchanged content is a no-op) and all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import jsonio, kit
from .incoming import basic_checks
from .shape import as_dict, as_list

if TYPE_CHECKING:
    from .store import Store

UNPACKED_BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")


class LoadError(Exception):
    """A path cannot be loaded; the message names the file and the reason."""


def load_paths(store: Store, paths: Sequence[Path]) -> int:
    """Streamed into one transaction: a bad resource anywhere rolls the whole load back (LoadError)."""
    count = 0
    with store.atomic():
        for path in paths:
            for resource in iter_path(Path(path)):
                if "id" in resource:
                    store.put(resource)
                else:
                    store.create(resource)
                count += 1
    return count


def iter_path(path: Path) -> Iterator[dict[str, Any]]:
    """Every resource a path holds, in a stable order."""
    if path.is_dir():
        if (path / "resources").is_dir():
            try:
                yield from (_checked(r, path) for r in kit.iter_resources(path))
            except kit.KitError as exc:
                raise LoadError(str(exc)) from None
            return
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".ndjson") and p.is_file())
        for file in files:
            yield from iter_file(file)
        return
    if not path.is_file():
        raise LoadError(f"{path}: no such file or directory")
    yield from iter_file(path)


def iter_file(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".ndjson":
        yield from _iter_ndjson(path)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror}") from None
    yield from _unpack(_checked(_parse(data, str(path)), path), path)


def _iter_ndjson(path: Path) -> Iterator[dict[str, Any]]:
    """Line by line (a large NDJSON file is never read whole)."""
    try:
        with open(path, "rb") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    yield _checked(_parse(line, f"{path}:{n}"), f"{path}:{n}")
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror}") from None


def _parse(data: bytes, where: str) -> Any:
    try:
        return jsonio.loads(data)
    except jsonio.JsonError as exc:
        raise LoadError(f"{where}: not JSON: {exc}") from None


def _unpack(resource: dict[str, Any], where: object) -> Iterator[dict[str, Any]]:
    if resource["resourceType"] != "Bundle" or resource.get("type") not in UNPACKED_BUNDLE_TYPES:
        yield resource
        return
    for n, entry in enumerate(as_list(resource.get("entry"))):
        if not isinstance(entry, dict) or "resource" not in entry:
            continue  # e.g. a DELETE or GET entry of a transaction
        method = as_dict(entry.get("request")).get("method", "PUT")
        if method in ("PUT", "POST"):
            yield _checked(entry["resource"], f"{where} entry[{n}]")


def _checked(resource: Any, where: object) -> dict[str, Any]:
    if not isinstance(resource, dict):
        raise LoadError(f"{where}: not a JSON object")
    problems = basic_checks(resource)
    if problems:
        raise LoadError(f"{where}: {problems[0].message}")
    return resource
