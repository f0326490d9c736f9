"""Which tests apply: the IG's expectation for a capability item against what the target declares.

SHALL items always run (absent -> the test fails, never skips). SHOULD/MAY items run when the target
declares them, else skip with the reason. A forced `--operation` counts as a declaration of the
coding-gap operation (the user says the server has it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..declarations import Declarations
from ..ig import versions
from ..ig.capabilities import CODING_GAP_OPERATION, GROUP_EXPANSION, MAY, SHALL, expectation


@dataclass(frozen=True)
class Decision:
    run: bool
    reason: str  # why it runs or why it is skipped


def decide(item: str, version: str, decl: Declarations, *, forced: frozenset[str] = frozenset()) -> Decision:
    exp = expectation(version, item)
    label = versions.get(version).label
    declared = item in forced or decl.declares(item)
    if exp.conditional_on and not decl.declares(f"{exp.conditional_on}:resource"):
        return Decision(False, f"target does not support {exp.conditional_on}; IG {label}: MAY (then {item} is {exp.level})")
    if exp.level == SHALL:
        return Decision(True, f"IG {label} {exp.statement}: SHALL")
    if declared:
        return Decision(True, f"declared by the target; IG {label}: {exp.level}")
    note = " (2.1.0 and later retrieve reports by search)" if item == CODING_GAP_OPERATION and exp.level == MAY else ""
    if item == GROUP_EXPANSION:
        note = " (not base FHIR: declared by the search-subject-group-expansion extension on `subject`)"
    return Decision(False, f"target does not declare {item}; IG {label}: {exp.level}{note}")
