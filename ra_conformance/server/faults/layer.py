"""The faults switched on for one server: their defects applied as one layer (server/layer.py)."""

from __future__ import annotations

from collections.abc import Iterable

from ..layer import Switchboard, known
from .catalogue import FAULTS


class UnknownFaultError(ValueError):
    """A fault name that is not in the catalogue."""


class FaultSet(Switchboard):
    """The faults of one server app, their defects applied in catalogue order."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = known(names, FAULTS, UnknownFaultError, "fault")
        super().__init__(names, [f.defect for f in FAULTS.values() if f.name in names])
