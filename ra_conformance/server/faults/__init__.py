"""Deliberate faults of the reference server, for self-testing the suites: the catalogue (catalogue.py), each
fault's defect as a mutation of the correct answer or a strategy (base.py; one module per concern: cc_gaps.py,
search.py, rest.py, bulk.py, risk_gap.py, auth.py), applied as one layer (layer.py, server/layer.py)."""

from .base import Fault
from .catalogue import FAULTS, SMART_FAULTS
from .layer import FaultSet, UnknownFaultError

__all__ = ["FAULTS", "SMART_FAULTS", "Fault", "FaultSet", "UnknownFaultError"]
