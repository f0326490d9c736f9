"""The look-up gate of the whole-resource memos (verdicts.py, skeletons.py): building a memo key costs a share
of a validation, so after a long run of misses (every report of a bulk export another patient's, another
shape) only one call in `every` looks, until one hits again."""

from __future__ import annotations


class Probing:
    __slots__ = ("_calls", "_streak", "every", "misses")

    def __init__(self, misses: int, every: int) -> None:
        self.misses = misses  # misses in a row before probing only
        self.every = every
        self._streak = 0
        self._calls = 0

    def looks(self) -> bool:
        """Whether this call consults the memo."""
        if self._streak < self.misses:
            return True
        self._calls += 1
        return not self._calls % self.every

    def hit(self) -> None:
        self._streak = 0

    def miss(self) -> None:
        self._streak += 1

    def forget(self) -> None:
        """The memo was emptied: look again from the next call."""
        self._streak = 0
