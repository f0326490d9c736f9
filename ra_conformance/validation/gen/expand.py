"""Value set expansion from the R4 definition bundles (valuesets.json, v3-codesystems.json, v2-tables.json).

Only what the definitions define completely is expanded: enumerated concepts, whole code systems with
content "complete", and is-a / descendent-of filters on them, plus value set imports. Anything else (an
external system such as SNOMED CT, LOINC, UCUM, BCP-13/47; other filters) makes the value set
unexpandable (None): the validator then does not judge codes against it, rather than raise false errors.
Unsupported exclude filters are ignored (more codes accepted, never fewer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ra_conformance.validation.gen.source import Source

Code = tuple[str, str]  # (system, code)


def _walk(concepts: list[dict[str, Any]], parents: tuple[str, ...] = ()) -> Iterator[tuple[str, tuple[str, ...]]]:
    for c in concepts:
        yield c["code"], parents
        yield from _walk(c.get("concept", []), parents + (c["code"],))


class CodeSystemIndex:
    def __init__(self, systems: list[dict[str, Any]]) -> None:
        self.codes: dict[str, dict[str, tuple[str, ...]]] = {}  # url -> code -> ancestors (nesting)
        self.complete: set[str] = set()
        for cs in systems:
            url = cs.get("url")
            if not url or cs.get("content") == "supplement":
                continue
            table = self.codes.setdefault(url, {})
            for code, parents in _walk(cs.get("concept", [])):
                table.setdefault(code, parents)
            self._parent_properties(cs, table)
            if cs.get("content") == "complete":
                self.complete.add(url)

    @staticmethod
    def _parent_properties(cs: dict[str, Any], table: dict[str, tuple[str, ...]]) -> None:
        """v3 code systems state subsumption as a 'subsumedBy' property instead of nesting."""
        direct: dict[str, list[str]] = {}
        for code, _ in _walk(cs.get("concept", [])):
            direct.setdefault(code, [])
        for c in _iter_concepts(cs.get("concept", [])):
            for p in c.get("property", []):
                if p.get("code") in ("subsumedBy", "parent") and isinstance(p.get("valueCode"), str):
                    direct[c["code"]].append(p["valueCode"])
        if not any(direct.values()):
            return
        for code in direct:
            seen: list[str] = list(table.get(code, ()))
            todo = list(direct[code])
            while todo:
                parent = todo.pop()
                if parent not in seen:
                    seen.append(parent)
                    todo.extend(direct.get(parent, []))
            table[code] = tuple(seen)

    def is_a(self, system: str, root: str, strict: bool) -> set[Code] | None:
        table = self.codes.get(system)
        if table is None or system not in self.complete or root not in table:
            return None
        found = {(system, c) for c, ancestors in table.items() if root in ancestors}
        if not strict:
            found.add((system, root))
        return found


def _iter_concepts(concepts: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in concepts:
        yield c
        yield from _iter_concepts(c.get("concept", []))


class Expander:
    def __init__(self, source: Source) -> None:
        resources = [r for name in ("valuesets.json", "v3-codesystems.json", "v2-tables.json")
                     for r in source.resources(name)]
        self.valuesets = {r["url"]: r for r in resources if r.get("resourceType") == "ValueSet"}
        self.systems = CodeSystemIndex([r for r in resources if r.get("resourceType") == "CodeSystem"])
        self._done: dict[str, set[Code] | None] = {}

    def expand(self, url: str, depth: int = 0) -> set[Code] | None:
        url = url.split("|", 1)[0]
        if url in self._done:
            return self._done[url]
        vs = self.valuesets.get(url)
        result = None if vs is None or depth > 10 else self._compose(vs.get("compose") or {}, depth)
        self._done[url] = result
        return result

    def _compose(self, compose: dict[str, Any], depth: int) -> set[Code] | None:
        if not compose.get("include"):
            return None
        codes: set[Code] = set()
        for inc in compose["include"]:
            part = self._include(inc, depth)
            if part is None:
                return None
            codes |= part
        for exc in compose.get("exclude", []):
            if "concept" in exc and "filter" not in exc and "valueSet" not in exc:
                codes -= {(exc.get("system", ""), c["code"]) for c in exc["concept"]}
        return codes

    def _include(self, inc: dict[str, Any], depth: int) -> set[Code] | None:
        system = inc.get("system")
        found: set[Code] | None = None
        if system is not None:
            if "concept" in inc:
                found = {(system, c["code"]) for c in inc["concept"]}
            elif "filter" in inc:
                found = self._filtered(system, inc["filter"])
            elif system in self.systems.complete:
                found = {(system, c) for c in self.systems.codes[system]}
            else:
                return None
            if found is None:
                return None
        for ref in inc.get("valueSet", []):
            imported = self.expand(ref, depth + 1)
            if imported is None:
                return None
            found = imported if found is None else found & imported
        return found

    def _filtered(self, system: str, filters: list[dict[str, Any]]) -> set[Code] | None:
        result: set[Code] | None = None
        for f in filters:
            if f.get("property") != "concept" or f.get("op") not in ("is-a", "descendent-of"):
                return None
            part = self.systems.is_a(system, f["value"], strict=f["op"] == "descendent-of")
            if part is None:
                return None
            result = part if result is None else result & part
        return result
