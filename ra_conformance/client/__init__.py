"""The client side of ra-conform: the reference RA client, the client-test scenarios, the judge of what a client
under test sends, and the client-test runner (`ra-conform client-test`, `client-demo`)."""

from .faults import CLIENT_FAULTS, ClientFault
from .reference import ReferenceClient
from .runner import ClientTestError, ClientTestOptions, run_client_test
from .scenarios import IDS, SCENARIOS, ScenarioError, applicable

__all__ = ["CLIENT_FAULTS", "ClientFault", "ReferenceClient", "ClientTestError", "ClientTestOptions", "run_client_test",
           "IDS", "SCENARIOS", "ScenarioError", "applicable"]
