"""Legal variations of the reference server: the dual of the fault catalogue (server/faults/), on the same
mechanism (server/layer.py).

Each variant changes only what FHIR R4 (or the IG) leaves to the server, so a correct harness must pass a server
running it (``ra-conform selftest`` proves every one: exit 0, warnings allowed). A variant is a ``Variant`` record
(name, description, the R4 rule that makes it legal) with its ``Behaviour`` — mutations of the correct answers,
applied in one layer after the correct handler (``VariantSet``), or a strategy the server reads once.

Adding one: a module here defining a Behaviour subclass and its Variant record, and one line in catalogue.py.
"""

from .base import Behaviour, Call, Variant
from .catalogue import VARIANTS
from .layer import UnknownVariantError, VariantSet

__all__ = ["VARIANTS", "Behaviour", "Call", "UnknownVariantError", "Variant", "VariantSet"]
