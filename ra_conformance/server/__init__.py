"""The reference mock server of ra-conform (``ra-conform serve``): a FHIR R4 server backed by SQLite that
answers the coding-gap operation ($cc-gaps / $report / $ra.cc-gaps) as RA-SPEC §1.2 says, with a catalogue
of switchable faults for self-testing the suites."""

from .app import create_app
from .embedded import EmbeddedServer, ServerStartError, serve
from .faults import FAULTS, Fault, FaultSet, UnknownFaultError
from .ingest import LoadError
from .store import Store
from .variants import VARIANTS, UnknownVariantError, Variant, VariantSet

__all__ = [
    "FAULTS", "VARIANTS", "EmbeddedServer", "Fault", "FaultSet", "LoadError", "ServerStartError", "Store",
    "UnknownFaultError", "UnknownVariantError", "Variant", "VariantSet", "create_app", "serve",
]
