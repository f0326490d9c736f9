"""Cross-check: every differential element of the official StructureDefinitions (XML and JSON) that sets
min, max, fixed/pattern, binding or type is covered by a rule of ours; the test lists any gap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ra_conformance.ig.rules import Element, ExtensionDef, Profile, RuleSet
from ra_conformance.ig.versions import ruleset
from ra_conformance.validation.structure import element_spec

from .validation_ig import FOLDERS

NS = "{http://hl7.org/fhir}"
TYPE_OF_PROFILE = {"us-core-patient": "Patient", "us-core-organization": "Organization",
                   "us-core-practitioner": "Practitioner"}
# ⚑ RA-SPEC §3.6: the remark-bundle SD names its second slice's resource element after a slice that does
# not exist; it belongs to the free "remark-resource" slice.
SLICE_ALIASES = {"ra_coding_gap_report_entry": "remark-resource", "remark-resouce": "remark-resource"}


def _xml_elements(path: Path) -> tuple[str, list[dict[str, Any]]]:
    root: Any = ET.parse(path).getroot()  # the official XML: every element the loop reads is there
    out = []
    for e in root.find(NS + "differential").findall(NS + "element"):
        d: dict[str, Any] = {"id": e.get("id"), "path": e.find(NS + "path").get("value")}
        for key in ("min", "max", "sliceName"):
            x = e.find(NS + key)
            if x is not None:
                d[key] = x.get("value")
        for child in e:
            tag = child.tag.replace(NS, "")
            if tag.startswith(("fixed", "pattern")):
                d["fixed"] = child.get("value")
        b = e.find(NS + "binding")
        if b is not None:
            vs = b.find(NS + "valueSet")
            d["binding"] = (b.find(NS + "strength").get("value"), vs.get("value") if vs is not None else None)
        types = [(t.find(NS + "code").get("value"), [x.get("value") for x in t.findall(NS + "profile")],
                  [x.get("value") for x in t.findall(NS + "targetProfile")]) for t in e.findall(NS + "type")]
        if types:
            d["type"] = types
        out.append(d)
    return root.find(NS + "url").get("value"), out


def _json_elements(path: Path) -> tuple[str, list[dict[str, Any]]]:
    sd = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for e in sd["differential"]["element"]:
        d: dict[str, Any] = {"id": e["id"], "path": e["path"]}
        for key in ("min", "max", "sliceName"):
            if key in e:
                d[key] = str(e[key])
        for key, value in e.items():
            if key.startswith(("fixed", "pattern")):
                d["fixed"] = value
        if "binding" in e:
            d["binding"] = (e["binding"]["strength"], e["binding"].get("valueSet"))
        if "type" in e:
            d["type"] = [(t["code"], t.get("profile", []), t.get("targetProfile", [])) for t in e["type"]]
        out.append(d)
    return sd["url"], out


def _norm(path: str) -> str:
    return re.sub(r"\bvalue[A-Z][A-Za-z]*\b", "value[x]", path)


def _sets_something(d: dict[str, Any]) -> bool:
    return any(k in d for k in ("min", "max", "fixed", "binding", "type"))


def _our_path(d: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    """Our rule path for an SD element (slices by url / by name become filters)."""
    names = d["path"].split(".")
    ids = d["id"].split(".")
    if len(ids) != len(names):  # e.g. S1 "MeasureReport:clinicalDataCollectionDeadline"
        ids = names[:-1] + [names[-1] + ":" + d.get("sliceName", "")]
    segments = [names[0]]
    for i in range(1, len(names)):
        name, part = names[i], ids[i]
        if ":" in part:
            slice_name = part.split(":", 1)[1]
            head = by_id.get(".".join(ids[: i + 1])) or (d if i == len(names) - 1 else None)
            urls = [p for t in (head or {}).get("type", []) for p in t[1]] if head else []
            if name in ("extension", "modifierExtension") and urls:
                segments.append(f"{name}(url={urls[0]})")
            elif name in ("parameter", "part"):
                segments.append(f"{name}(name={slice_name})")
            else:
                segments.append(f"{name}:{SLICE_ALIASES.get(slice_name, slice_name)}")
        else:
            segments.append(name)
    return _norm(".".join(segments))


def _base_max(path: str) -> str:
    parts = re.sub(r"\([^)]*\)", "", path).split(".")
    tname = parts[0]
    from ra_conformance.validation.structure import _compiled

    types = _compiled()[0]
    spec = None
    for name in parts[1:]:
        spec = types.get(tname, {}).get(name.split(":")[0])
        if spec is None:
            return "?"
        tname = spec.code
    return "*" if spec is None or spec.is_list else "1"


def _profile_gaps(d: dict[str, Any], path: str, profile: Profile, rules: RuleSet) -> list[str]:
    if ":" in path.split(".")[-1] or (":" in path and path.split(".")[-2].startswith("entry:")):
        return _entry_gaps(d, path, profile)
    ours: dict[str, Element] = {}
    for base in (rules.profiles[profile.base],) if profile.base else ():
        ours.update({_norm(e.path): e for e in base.elements})
    ours.update({_norm(e.path): e for e in profile.elements})
    element: Element | None = ours.get(path)
    gaps = []
    if "min" in d and d["min"] != "0" and (element is None or element.min != int(d["min"])):
        gaps.append(f"min {d['min']}")
    if "max" in d:
        want = None if d["max"] == "*" else int(d["max"])
        have = element.max if element is not None else None
        if want != have and not (have is None and d["max"] == _base_max(path)):
            gaps.append(f"max {d['max']}")
    if "fixed" in d and not path.endswith(".name") and (element is None or str(element.fixed).lower()
                                                        != str(d["fixed"]).lower()):
        gaps.append(f"fixed {d['fixed']}")
    if "binding" in d and (element is None or element.binding is None
                           or (element.binding.strength, element.binding.valueset) != d["binding"]):
        gaps.append(f"binding {d['binding']}")
    for _code, _, targets in d.get("type", []):
        for target in targets:
            kind = TYPE_OF_PROFILE.get(target.rsplit("/", 1)[-1])
            ok = element is not None and (target in element.target_profiles or kind in element.targets)
            if not ok:
                gaps.append(f"targetProfile {target}")
    return gaps


def _entry_gaps(d: dict[str, Any], path: str, profile: Profile) -> list[str]:
    parts = path.split(".")
    slice_part = next(p for p in parts if p.startswith("entry:"))
    name = slice_part.split(":", 1)[1]
    entry = next((s for s in profile.entries if s.name == name), None)
    if entry is None:
        return [f"entry slice {name}"]
    gaps = []
    if parts[-1] == slice_part:
        if d.get("min", "0") != str(entry.min):
            gaps.append(f"slice min {d.get('min')}")
        if "max" in d and (None if d["max"] == "*" else int(d["max"])) != entry.max:
            gaps.append(f"slice max {d['max']}")
    else:
        for code, profiles, _ in d.get("type", []):
            if code != entry.resource_type or (profiles and profiles[0] != entry.profile):
                gaps.append(f"slice type {code} {profiles}")
    return gaps


def _extension_gaps(d: dict[str, Any], definition: ExtensionDef) -> list[str]:
    path = _norm(d["id"].replace("valueCodableConcept", "value[x]"))
    gaps: list[str] = []
    if path == "Extension":
        if "max" in d and (None if d["max"] == "*" else int(d["max"])) != definition.max:
            gaps.append(f"max {d['max']}")
    elif path == "Extension.url":
        if d.get("fixed", definition.url) != definition.url:
            gaps.append("url")
    elif path == "Extension.value[x]" or (path.startswith("Extension.value[x].") is False and path.startswith(
            "Extension.value")):
        if d.get("max") == "0":
            if definition.types:
                gaps.append("value[x] 0..0")
        else:
            types = tuple(t[0] for t in d.get("type", []))
            if types and tuple(t.lower() for t in types) != tuple(t.lower() for t in definition.types):
                gaps.append(f"types {types}")
            if "binding" in d and (definition.binding is None or (definition.binding.strength,
                                                                   definition.binding.valueset) != d["binding"]):
                gaps.append(f"binding {d['binding']}")
            for _, _, targets in d.get("type", []):
                for target in targets:
                    if TYPE_OF_PROFILE.get(target.rsplit("/", 1)[-1]) not in definition.targets:
                        gaps.append(f"targetProfile {target}")
    elif path.startswith("Extension.extension:"):
        gaps += _sub_gaps(d, path, definition)
    elif path.startswith("Extension.value[x]."):
        ours = {e.path.replace("valueCodeableConcept", "value[x]") for e in definition.elements}
        urls = [p for t in d.get("type", []) for p in t[1]]
        want = f"Extension.value[x].extension(url={urls[0]})" if urls else path
        if want not in ours:
            gaps.append(f"element {path}")
    else:
        gaps.append(f"unmapped {path}")
    return gaps


def _sub_gaps(d: dict[str, Any], path: str, definition: ExtensionDef) -> list[str]:
    head, _, rest = path[len("Extension.extension:"):].partition(".")
    sub = next((s for s in definition.sub if s.url == head), None)
    if sub is None:
        return [f"sub-extension {head}"]
    gaps = []
    if not rest:
        if d.get("max") and (None if d["max"] == "*" else int(d["max"])) != sub.max:
            gaps.append(f"{head} max {d['max']}")
        if d.get("min", "0") != str(sub.min):
            gaps.append(f"{head} min {d.get('min')}")
    elif rest == "url":
        if d.get("fixed", head) != sub.url:
            gaps.append(f"{head} url")
    elif rest == "value[x]":
        types = tuple(t[0] for t in d.get("type", []))
        if types and tuple(t.lower() for t in types) != tuple(t.lower() for t in sub.types):
            gaps.append(f"{head} types {types}")
        if "binding" in d and (sub.binding is None or (sub.binding.strength, sub.binding.valueset) != d["binding"]):
            gaps.append(f"{head} binding {d['binding']}")
        for _, _, targets in d.get("type", []):
            for target in targets:
                if TYPE_OF_PROFILE.get(target.rsplit("/", 1)[-1]) not in sub.targets:
                    gaps.append(f"{head} targetProfile {target}")
    return gaps


def _fix_subextension_ids(elements: list[dict[str, Any]]) -> None:
    """⚑ RA-SPEC §3.10: value elements reuse the id 'Extension.extension:code.valueCodableConcept'; attach
    each value element to the slice that precedes it in document order."""
    current = None
    for d in elements:
        if d.get("sliceName") and d["path"] == "Extension.extension":
            current = d["sliceName"]
        elif current and d["path"] == "Extension.extension.value[x]":
            d["id"] = f"Extension.extension:{current}.value[x]"


def _gaps(shared_ig: Path, version: str) -> list[str]:
    rules = ruleset(version)
    folder = shared_ig / FOLDERS[version] / "resources"
    files = sorted(folder.glob("StructureDefinition-*.xml")) + sorted(folder.glob("StructureDefinition-*.json"))
    gaps: list[str] = []
    for sd_file in files:
        url, elements = (_xml_elements if sd_file.suffix == ".xml" else _json_elements)(sd_file)
        _fix_subextension_ids(elements)
        by_id = {d["id"]: d for d in elements}
        if url in rules.extensions:
            for d in elements:
                if _sets_something(d):
                    gaps += [f"{sd_file.name} {d['id']}: {g}" for g in _extension_gaps(d, rules.extensions[url])]
        elif url in rules.profiles:
            profile = rules.profiles[url]
            for d in elements:
                if _sets_something(d) and "." in d["path"]:
                    path = _our_path(d, by_id)
                    gaps += [f"{sd_file.name} {d['id']}: {g}" for g in _profile_gaps(d, path, profile, rules)]
        else:
            gaps.append(f"{sd_file.name}: no rules for {url}")
    return gaps


@pytest.mark.parametrize("version", list(FOLDERS))
def test_every_differential_constraint_is_covered_by_a_rule(shared_ig, version):
    gaps = _gaps(shared_ig, version)
    assert gaps == [], "\n".join(gaps)


def test_the_cross_check_can_find_a_gap(shared_ig, monkeypatch):
    """Proof the cross-check can fail: drop ccType's min 1 from our 2.1.0 table."""
    from dataclasses import replace

    rules = ruleset("2.1.0")
    mr_url = "http://hl7.org/fhir/us/davinci-ra/StructureDefinition/ra-measurereport"
    profile = rules.profiles[mr_url]
    weakened = replace(profile, elements=tuple(replace(e, min=0) if "ra-ccType" in e.path else e
                                               for e in profile.elements))
    monkeypatch.setitem(rules.profiles, mr_url, weakened)
    assert any("ccType" in g and "min 1" in g for g in _gaps(shared_ig, "2.1.0"))


def test_base_structure_knows_the_profiled_paths():
    assert element_spec("MeasureReport", "period").code == "Period"
