"""The FhirClient a run uses for its target: plain, with a fixed `--auth-token`, or with a token provider
(SMART Backend Services or a client secret, ra_conformance.fhir.auth) built from the settings."""

from __future__ import annotations

from .fhir.auth import AuthError, TokenProvider, default_scope, provider_for
from .fhir.client import FhirClient
from .fhir.keys import KeyFileError
from .settings import Settings


class ConnectError(Exception):
    """The run cannot authenticate with the target (bad key file, no token); one line for the user."""


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
    return FhirClient(base_url, timeout=settings.timeout, auth_token=settings.auth_token, auth=provider)


def check_credentials(settings: Settings, base_url: str) -> str | None:
    """Obtain one token before anything runs, so a wrong key stops the run with one line (not 300 failed
    tests); returns a note on how the token was obtained, or None when the settings hold no credentials."""
    provider = token_provider(settings, base_url)
    if provider is None:
        return None
    with FhirClient(base_url, timeout=settings.timeout) as client:
        try:
            provider.authorization(client.send)
        except AuthError as exc:
            raise ConnectError(f"authentication failed ({provider.kind}, client {settings.smart_client_id}): {exc}") from None
    return f"{provider.kind}: token endpoint {provider.token_url} ({provider.token_url_note})"
