"""Settings: the one place that knows defaults. Built from CLI flags, RA_CONFORM_* env vars and ra-conform.toml."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .ig import DEFAULT_IG_VERSION, versions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ENV_PREFIX = "RA_CONFORM_"
CONFIG_FILE = "ra-conform.toml"


# Named presets for common set-ups: defaults you can still override with the file, env vars or flags.
# An IG version whose record has a preset gives one named after it (stu1, stu3-ballot).
PRESETS: dict[str, dict[str, Any]] = {
    **{v.id: {"ig_version": v.id, **v.preset} for v in versions.all_versions() if v.preset is not None},
    "cc-gaps": {"ig_version": DEFAULT_IG_VERSION, "operation": "cc-gaps"},
    "ci": {"strict": True, "timeout": 60.0},
    "connectathon": {"load_fixtures": True, "timeout": 60.0},
}


class SettingsError(ValueError):
    """A setting has a value we cannot use (exit code 2)."""


@dataclass(frozen=True)
class Settings:
    target: str | None = None  # None: start the embedded reference server
    operation: str | None = None  # None: discover from /metadata, else cc-gaps
    ig_version: str | None = None  # None: inferred from the target's /metadata, else DEFAULT_IG_VERSION
    report_dir: Path = Path("reports")
    kit_dir: Path | None = None  # None: the repository's fixtures/
    strict: bool = False
    timeout: float = 30.0
    async_timeout: float = 120.0  # seconds: total limit for polling an asynchronous job (RA_CONFORM_ASYNC_TIMEOUT)
    request_deadline: float = 120.0  # seconds: whole-request limit, whatever the server drips (fhir/transport.py)
    max_response_bytes: int = 64 * 1024 * 1024  # an answer held in memory, on the wire and decompressed
    auth_token: str | None = None
    # protected targets (fhir/auth.py): SMART Backend Services (client id + key) or a client secret
    smart_client_id: str | None = None
    smart_key: Path | None = None  # PEM private key or JWKS with private keys (RS384 / ES384)
    smart_scope: str | None = None  # None: the read (and, when needed, write) scopes of the chosen suites
    token_url: str | None = None  # None: discovered from [base]/.well-known/smart-configuration
    client_secret: str | None = field(default=None, repr=False)  # never echoed
    client_auth: str = "basic"  # how a client secret is sent: basic (header) | post (form)
    keyword: str | None = None  # pytest -k
    markers: str | None = None  # pytest -m
    fault: tuple[str, ...] = ()  # embedded server only: defects to switch on (self-testing)
    variant: tuple[str, ...] = ()  # embedded server only: legal variations to switch on (self-testing)
    verbose: bool = False
    load_fixtures: bool = False  # load the kit into the target before the run
    allure: bool = False  # write allure-results/ (one file per test and exchange: large; on request)
    full_exchanges: bool = False  # summary.json keeps every exchange body whole (default: passed tests' bodies capped)
    search_handling: str | None = None  # `Prefer: handling=strict|lenient` on searches (None: not sent)
    extra_pytest_args: tuple[str, ...] = field(default=())

    def validate(self) -> Settings:
        if self.ig_version is not None and self.ig_version not in versions.ids():
            raise SettingsError(f"unknown IG version {self.ig_version!r}; choose one of {', '.join(versions.ids())}")
        if self.target is not None and not self.target.startswith(("http://", "https://")):
            raise SettingsError(f"--target must be an http(s) URL, got {self.target!r}")
        if self.timeout <= 0:
            raise SettingsError("timeout must be positive")
        if self.async_timeout <= 0:
            raise SettingsError("async_timeout must be positive")
        _validate_auth(self)
        if self.request_deadline <= 0 or self.max_response_bytes <= 0:
            raise SettingsError("request_deadline and max_response_bytes must be positive")
        if self.search_handling not in (None, "strict", "lenient"):
            raise SettingsError(f"search handling must be strict or lenient, got {self.search_handling!r}")
        if self.target is not None and self.fault:
            raise SettingsError("--fault applies to the embedded server only; it cannot be combined with --target")
        if self.target is not None and self.variant:
            raise SettingsError("--variant applies to the embedded server only; it cannot be combined with --target")
        return self

    def transport_policy(self) -> Any:
        """The transport policy (fhir/transport.py) of every request this run makes."""
        from .fhir.transport import TransportPolicy

        return TransportPolicy(max_bytes=self.max_response_bytes, deadline=self.request_deadline,
                               read_timeout=min(self.timeout, self.request_deadline),
                               stream_deadline=10 * self.request_deadline)  # bulk downloads stream, never held


def _validate_auth(s: Settings) -> None:
    if s.client_auth not in ("basic", "post"):
        raise SettingsError(f"client_auth must be basic or post, got {s.client_auth!r}")
    if (s.smart_key or s.client_secret) and not s.smart_client_id:
        raise SettingsError("--smart-key / --client-secret need --smart-client-id (the client id the server registered)")
    if s.smart_client_id and not (s.smart_key or s.client_secret):
        raise SettingsError("--smart-client-id needs --smart-key (SMART Backend Services) or --client-secret")
    if s.smart_key and s.client_secret:
        raise SettingsError("give either --smart-key or --client-secret, not both")
    if s.smart_client_id and s.auth_token:
        raise SettingsError("give either --auth-token or client credentials (--smart-client-id …), not both")
    if s.smart_key is not None and not s.smart_key.is_file():
        raise SettingsError(f"--smart-key: no such file {s.smart_key}")
    if s.token_url is not None and not s.token_url.startswith(("http://", "https://")):
        raise SettingsError("--token-url must be an http(s) URL")


_TYPES = {f.name: f.type for f in fields(Settings)}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _coerce(name: str, value: Any, source: str = "") -> Any:
    """The typed value of one setting, wherever it came from; SettingsError names the source (exit code 2)."""
    kind = str(_TYPES[name])
    where = f" (from {source})" if source else ""

    def bad(why: str) -> SettingsError:
        return SettingsError(f"setting {name.replace('_', '-')!r}{where}: {why}, got {value!r}")

    if value is None:
        return None
    if "Path" in kind:
        if isinstance(value, (str, Path)) and str(value):
            return Path(value)
        raise bad("expected a path")
    if "bool" in kind:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise bad("expected true or false (1/0, yes/no, on/off)")
    if "float" in kind:
        if isinstance(value, bool):
            raise bad("expected a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad("expected a number") from None
        if not math.isfinite(number):
            raise bad("expected a finite number")
        return number
    if kind == "int":
        if isinstance(value, bool):
            raise bad("expected a whole number")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad("expected a whole number") from None
    if "tuple" in kind:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise bad("expected a list of strings")
    if "str" in kind and not isinstance(value, str):
        raise bad("expected a string")
    return value


def from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: {exc}") from None
    section = data.get("ra-conform", data)
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: [ra-conform] must be a table of settings")
    return {k.replace("-", "_"): v for k, v in section.items()}


def from_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    source = os.environ if env is None else env
    return {k[len(ENV_PREFIX):].lower(): v for k, v in source.items() if k.startswith(ENV_PREFIX) and k != ENV_PREFIX + "FIXTURES"}


def _preset(name: str, file_presets: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(file_presets, dict):
        raise SettingsError("[ra-conform.presets] must hold tables: [ra-conform.presets.NAME]")
    if name in file_presets and isinstance(file_presets[name], dict):
        return {k.replace("-", "_"): v for k, v in file_presets[name].items()}
    if name in PRESETS:
        return dict(PRESETS[name])
    known = sorted(set(PRESETS) | set(file_presets))
    raise SettingsError(f"unknown preset {name!r}; known presets: {', '.join(known)}")


def build(flags: dict[str, Any], *, config: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Flags beat env vars, env vars beat the settings file, the file beats a preset, a preset beats defaults."""
    cfg = config or (Path(CONFIG_FILE) if Path(CONFIG_FILE).is_file() else None)
    from_cfg = from_file(cfg) if cfg is not None else {}
    file_presets = from_cfg.pop("presets", {}) or {}
    layers = [from_cfg, from_env(env), {k: v for k, v in flags.items() if v is not None and v != ()}]
    sources = [str(cfg), "environment", "command line"]
    preset_name = next((layer.pop("preset") for layer in reversed(layers) if "preset" in layer), None)
    if preset_name is not None and not isinstance(preset_name, str):
        raise SettingsError(f"setting 'preset': expected a preset name, got {preset_name!r}")
    if preset_name:
        layers.insert(0, _preset(preset_name, file_presets))
        sources.insert(0, f"preset {preset_name}")
    merged: dict[str, Any] = {}
    for layer, source in zip(layers, sources, strict=True):
        unknown = sorted(set(layer) - set(_TYPES))
        if unknown:
            raise SettingsError(f"unknown setting(s) in {source}: {', '.join(unknown)}")
        for key, value in layer.items():
            label = f"{ENV_PREFIX}{key.upper()}" if source == "environment" else source
            merged[key] = _coerce(key, value, label)
    return replace(Settings(), **merged).validate()
