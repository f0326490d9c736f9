"""Every memo of the validator emptied at once: tests and benchmarks compare cold and warm verdicts (the
memos never change one), and the cold figure of benchmarks/bench_validate_ratio.py starts from nothing."""

from __future__ import annotations

from ra_conformance.validation import (
    constraints,
    extensions,
    invariants,
    profile_memo,
    skeletons,
    structure,
    subtrees,
    verdicts,
)
from ra_conformance.validation.references import parsed


def forget_all() -> None:
    subtrees.forget()
    profile_memo.forget()
    verdicts.forget()
    skeletons.forget()
    structure._CLEAN_EXTENSIONS.clear()
    structure._DIVS.clear()
    for info in structure._INFO.values():
        for spec in info.specs.values():
            if spec.good is not None:
                spec.good.clear()
    extensions._CLEAN.clear()
    constraints._MEMO.clear()
    invariants._MEMO.clear()
    parsed.cache_clear()
