"""The catalogue of deliberate faults of the reference server (self-testing the suites)."""

from .catalogue import FAULTS, Fault, FaultSet, UnknownFaultError

__all__ = ["FAULTS", "Fault", "FaultSet", "UnknownFaultError"]
