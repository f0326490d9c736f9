"""The FhirClient a run uses for its target: plain, with a fixed `--auth-token`, or with a token provider
(SMART Backend Services or a client secret, ra_conformance.fhir.auth) built from the settings."""

from __future__ import annotations

from .fhir.auth import AuthError, TokenProvider, default_scope, provider_for
from .fhir.client import FhirClient
from .fhir.keys import KeyFileError
from .settings import Settings

PROBE_PATH = "MeasureReport?_count=1"  # a protected read every RA reporting server answers (or refuses)


class ConnectError(Exception):
    """The run cannot authenticate with the target (bad key file, no token); one line for the user.
    `unreachable`: because the target or its token endpoint did not answer (exit 3, not 2)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def token_provider(settings: Settings, base_url: str) -> TokenProvider | None:
    try:
        return provider_for(base_url, client_id=settings.smart_client_id, key_path=settings.smart_key,
                            client_secret=settings.client_secret, client_auth=settings.client_auth,
                            token_url=settings.token_url, scope=settings.smart_scope)
    except KeyFileError as exc:
        raise ConnectError(f"--smart-key: {exc}") from None


def client_for(settings: Settings, base_url: str, *, write: bool = False) -> FhirClient:
    """A client for `base_url`; `write`: the default scope also asks for the write scopes (loading the kit)."""
    provider = token_provider(settings, base_url)
    if provider is not None and write:
        provider.configure_scope(default_scope(write=True))
    return FhirClient(base_url, auth_token=settings.auth_token, auth=provider, policy=settings.transport_policy())


def check_credentials(settings: Settings, base_url: str) -> str | None:
    """Before anything runs: obtain a token (with client credentials) and make one protected read, so a wrong
    key, secret or token, or none for a protected server, stops the run with one line instead of a run of
    refused requests. Returns how the token was obtained (None without client credentials)."""
    provider = token_provider(settings, base_url)
    note = None
    with FhirClient(base_url, auth_token=settings.auth_token, auth=provider, policy=settings.transport_policy()) as client:
        if provider is not None:
            try:
                provider.authorization(client.send)
            except AuthError as exc:
                raise ConnectError(f"authentication failed ({provider.kind}, client {settings.smart_client_id}): {exc}",
                                   unreachable=exc.unreachable) from None
            note = f"{provider.kind}: token endpoint {provider.token_url} ({provider.token_url_note})"
        probe = client.get(PROBE_PATH)
    if probe.status == 401:
        given = (f"the token from {provider.kind}" if provider is not None
                 else "the --auth-token" if settings.auth_token else "no credentials")
        raise ConnectError(f"the target refuses {given}: HTTP 401 on GET {PROBE_PATH}; give --smart-client-id with "
                           "--smart-key (SMART Backend Services) or --client-secret, or --auth-token")
    return note
