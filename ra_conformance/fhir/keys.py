"""Signing keys for SMART Backend Services (RS384, ES384): load a PEM or a JWKS, generate a pair.

All cryptography is joserfc's (on top of `cryptography`); this module only chooses key types and files.
A key without a `kid` gets its RFC 7638 thumbprint, so a PEM and the JWKS `keys generate` wrote for it
name the same key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, KeySetSerialization, RSAKey

ALGORITHMS = ("RS384", "ES384")  # SMART Backend Services: clients SHALL support one of them, servers both
Key = RSAKey | ECKey


class KeyFileError(ValueError):
    """A key file we cannot use (exit code 2)."""


@dataclass(frozen=True)
class SigningKey:
    key: Key
    alg: str

    @property
    def kid(self) -> str:
        return str(self.key.kid)


def alg_for(key: Key) -> str:
    if isinstance(key, RSAKey):
        return "RS384"
    if key.curve_name != "P-384":  # ES384 is ECDSA on P-384 with SHA-384 (RFC 7518 §3.4)
        raise KeyFileError(f"an EC key for ES384 must be on curve P-384, not {key.curve_name}")
    return "ES384"


def _with_kid(key: Key) -> Key:
    if not key.kid:
        key.ensure_kid()
    return key


def load_signing_key(path: Path, kid: str | None = None) -> SigningKey:
    """The private key in `path` (PEM, a JWK, or a JWKS with private keys; `kid` picks one of a set)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror or exc}") from None
    keys = _parse_keys(raw, path)
    private = [k for k in keys if k.is_private]
    if not private:
        raise KeyFileError(f"{path} holds no private key (give the private key or a JWKS with its private part)")
    if kid is not None:
        private = [k for k in private if k.kid == kid]
        if not private:
            raise KeyFileError(f"{path} has no private key with kid {kid!r}")
    usable = [k for k in private if isinstance(k, RSAKey) or k.curve_name == "P-384"]
    if not usable:
        raise KeyFileError(f"{path}: no RS384 (RSA) or ES384 (EC P-384) private key")
    preferred = sorted(usable, key=lambda k: 0 if isinstance(k, ECKey) else 1)[0]  # ES384 first: smaller, faster
    return SigningKey(_with_kid(preferred), alg_for(preferred))


def _parse_keys(raw: bytes, path: Path) -> list[Key]:
    text = raw.strip()
    if text.startswith(b"{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise KeyFileError(f"{path} is not valid JSON: {exc}") from None
        return _jwks_keys(data if isinstance(data, dict) and "keys" in data else {"keys": [data]}, path)
    for kind in (RSAKey, ECKey):
        try:
            return [_with_kid(kind.import_key(raw))]
        except (JoseError, ValueError, TypeError):
            continue
    raise KeyFileError(f"{path} is neither a PEM key nor a JWK/JWKS")


def _jwks_keys(data: dict[str, Any], path: Path) -> list[Key]:
    keys: list[Key] = []
    entries = data.get("keys")
    if not isinstance(entries, list):
        raise KeyFileError(f"{path}: a JWKS needs a `keys` array")
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC"):
            continue  # other key types are no use for RS384/ES384
        try:
            key = (RSAKey if entry["kty"] == "RSA" else ECKey).import_key(entry)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise KeyFileError(f"{path}: key {entry.get('kid', '?')!r} is not usable: {exc}") from None
        keys.append(_with_kid(key))
    return keys


def load_public_jwks(path: Path) -> KeySet:
    """A client's registered public keys (JWKS file); private parts, if present, are dropped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the JWKS {path}: {exc.strerror or exc}") from None
    keys = _parse_keys(raw, path)
    if not keys:
        raise KeyFileError(f"{path}: no RSA or EC key")
    return KeySet.import_key_set({"keys": [k.as_dict(private=False) for k in keys]})


def generate(alg: str = "ES384") -> SigningKey:
    if alg == "ES384":
        key: Key = ECKey.generate_key("P-384", auto_kid=True)
    elif alg == "RS384":
        key = RSAKey.generate_key(3072, auto_kid=True)
    else:
        raise KeyFileError(f"unsupported algorithm {alg!r}; choose one of {', '.join(ALGORITHMS)}")
    return SigningKey(key, alg)


def public_jwks(key: SigningKey) -> KeySetSerialization:
    public = key.key.as_dict(private=False)
    return {"keys": [dict(public, alg=key.alg, use="sig", kid=key.kid)]}


def write_pair(key: SigningKey, out: Path) -> tuple[Path, Path]:
    """`private-key.pem` (mode 0600) and `public-jwks.json` (what to register with a server) in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    private, public = out / "private-key.pem", out / "public-jwks.json"
    private.touch(mode=0o600, exist_ok=True)
    private.chmod(0o600)
    private.write_bytes(key.key.as_pem(private=True))
    public.write_text(json.dumps(public_jwks(key), indent=2) + "\n", encoding="utf-8")
    return private, public
