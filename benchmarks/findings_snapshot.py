"""Every finding of the validator on a fixed corpus, as JSON: to prove a speed change altered no verdict.

Corpus: the kit (fixtures/**/*.json), the IG's own examples (../shared/ig/*/examples, when present), the
generated reports of bench_validate.py, the mutants, harmless variants and base-R4 probes of tests/validation, and seeded garbage mutants of the
validation samples (as tests/validation/test_robustness.py makes them). Each item goes through every IG
version's ``validate`` (and ``validate_answer_bundle`` for Bundles and Parameters), ``check_incoming`` and
``must_support``, three times: cold (every memo emptied first), warm (again, in order) and warm in reverse
order with no whole-resource verdict remembered (verdicts.py); the three must agree, and the output holds the findings once. Usage:

    python benchmarks/findings_snapshot.py OUT.json        # then: diff before.json after.json
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED_IG = ROOT.parent / "shared" / "ig"
VERSIONS = ("stu1", "2.1.0", "stu3-ballot")


def _corpus() -> Iterator[tuple[str, Any, str | None]]:
    """(name, resource, explicit profile) of every item."""
    from tests.validation import test_mutants, test_r4_base, test_robustness

    files = sorted(ROOT.glob("fixtures/**/*.json"))
    if SHARED_IG.is_dir():
        files += sorted(SHARED_IG.glob("*/examples/*.json"))
    for path in files:
        name = path.relative_to(ROOT if path.is_relative_to(ROOT) else SHARED_IG)
        yield str(name), json.loads(path.read_text(encoding="utf-8")), None
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_validate import report

    for i in range(20):
        yield f"generated:{i}", report(i), None
    for case_id, _version, base, mutate, _expected in test_mutants.MUTANTS:
        mutant = base()
        mutate(mutant)
        yield f"mutant:{case_id}", mutant, test_mutants.EXPLICIT_PROFILE.get(case_id)
    for case_id, _version, base, mutate in test_mutants.HARMLESS:
        variant = base()
        mutate(variant)
        yield f"harmless:{case_id}", variant, None
    for name, bad, _expected, good in test_r4_base.PROBES:
        yield f"probe-bad:{name}", bad, None
        yield f"probe-good:{name}", good, None
    for base in test_robustness.BASES:
        rng = random.Random(base.__name__)
        original = base()
        paths = list(test_robustness._paths(original))
        for n in range(40):
            mutant = copy.deepcopy(original)
            for path in rng.sample(paths, k=min(2, len(paths))):
                with contextlib.suppress(KeyError, IndexError, TypeError):
                    test_robustness._set(mutant, path, copy.deepcopy(rng.choice(test_robustness.GARBAGE)))
            yield f"garbage:{base.__name__}:{n}", mutant, None


def _findings(resource: Any, profile: str | None) -> dict[str, Any]:
    from ra_conformance.validation import check_incoming, validator_for

    def rows(issues: list[Any]) -> list[list[str]]:
        return [[i.severity, i.rule, i.location, i.message, i.resource] for i in issues]

    out: dict[str, Any] = {}
    for version in VERSIONS:
        validator = validator_for(version)
        out[f"{version} validate"] = rows(validator.validate(copy.deepcopy(resource), profile))
        if isinstance(resource, dict) and resource.get("resourceType") in ("Bundle", "Parameters"):
            out[f"{version} answer"] = rows(validator.validate_answer_bundle(copy.deepcopy(resource)))
        out[f"{version} incoming"] = rows(check_incoming(copy.deepcopy(resource), version))
        out[f"{version} must-support"] = validator.must_support([copy.deepcopy(resource)])
    return out


def _parts_only(resource: Any, profile: str | None) -> dict[str, Any]:
    """Findings with no whole-resource verdict remembered (the memos of parts do the work)."""
    from ra_conformance.validation import verdicts

    verdicts.forget()
    return _findings(resource, profile)


def _forget() -> None:
    from ra_conformance.validation.memos import forget_all

    forget_all()


def snapshot() -> dict[str, Any]:
    items = list(_corpus())
    _forget()
    cold = {name: _findings(res, prof) for name, res, prof in items}
    warm = {name: _findings(res, prof) for name, res, prof in items}
    again = {name: _parts_only(res, prof) for name, res, prof in reversed(items)}
    bad = [name for name in cold if not cold[name] == warm[name] == again[name]]
    if bad:
        raise SystemExit(f"warm findings differ from cold ones for: {', '.join(bad[:20])}")
    return cold


def main(out: Path) -> None:
    sys.path.insert(0, str(ROOT))
    found = snapshot()
    out.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    issues = sum(len(v) for f in found.values() for k, v in f.items() if not k.endswith("must-support"))
    print(f"{len(found)} items, {issues} findings -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
