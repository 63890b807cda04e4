"""Settings, parsed once from the environment.

Every variable the server reads is declared here with its type and default.
A value that does not parse raises :class:`SettingsError` naming the variable.
``instance/ivr.env`` (written by ``ivr dev init``) supplies defaults for local
runs; real environment variables always win.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from ivr.recordings.hosts import MediaHosts, parse_media_hosts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = ROOT / "instance" / "ivr.env"


T = TypeVar("T")


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


def _path(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ValueError("must be a positive whole number")
    return number


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


def _zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc


FAX_PROVIDERS = ("outbox", "hylafax", "rest")
TELEPHONY = ("twilio", "somleng")


def _telephony(value: str) -> str:
    if value not in TELEPHONY:
        raise ValueError(f"use one of {', '.join(TELEPHONY)}")
    return value


@dataclass(frozen=True)
class FaxSettings:
    """Option 3's delivery (IVR_FAX_*); see README "Fax on demand"."""

    provider: str = "outbox"
    outbox: Path = ROOT / "instance" / "fax-outbox"
    font: Path | None = None  # None: the first CJK font found on the system
    sendfax: str = "sendfax"
    hylafax_host: str = ""
    rest_url: str = ""
    rest_user: str = ""
    rest_token: str = field(default="", repr=False)
    sender: str = ""  # the centre's own fax number, sent as From
    media_ttl: int = 24 * 3600  # seconds a fax API may fetch a document's signed link


@dataclass(frozen=True)
class Settings:
    """Typed settings; see README "Configuration" for each variable."""

    database_url: str = field(repr=False)
    redis_url: str | None
    twilio_account_sid: str
    twilio_auth_token: str = field(repr=False)
    public_url: str
    secret_key: str = field(repr=False)
    recordings_dir: Path
    flows_dir: Path
    models_dir: Path
    timezone: ZoneInfo
    default_locale: str
    media_hosts: MediaHosts
    voicemail_max_seconds: int
    telephony: str = "twilio"  # the platform answering the calls: see ivr.voice.profiles
    session_idle_hours: int = 8
    # The centre statistics' service level: calls answered within this many seconds.
    service_level_seconds: int = 20
    # A folder the PBX writes agents' call recordings to (None: no watched folder), and
    # the seconds a file must stay unchanged before it is imported (README "Recordings
    # written by the switch").
    recordings_import_dir: Path | None = None
    recordings_import_settle: int = 10
    env: str = "development"
    vosk_models: Mapping[str, str] = field(default_factory=dict)
    fax: FaxSettings = field(default_factory=FaxSettings)

    @property
    def production(self) -> bool:
        return self.env == "production"


_REQUIRED = object()


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Read every setting from ``environ`` (default ``os.environ``) over ``env_file``."""
    environ = os.environ if environ is None else environ
    env_file = Path(environ.get("IVR_ENV_FILE", env_file or DEFAULT_ENV_FILE))
    source: dict[str, str] = {}
    if env_file.is_file():
        source.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source.update(environ)

    def read(name: str, default: object = _REQUIRED, parse: Callable[[str], T] = str) -> T:
        raw = source.get(name, "").strip()
        if not raw:
            if default is _REQUIRED:
                raise SettingsError(
                    f"{name} is not set. Set it in the environment, or run `ivr dev init` "
                    f"to write development defaults to {env_file}."
                )
            raw = str(default)
        try:
            return parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{name}={raw!r} is invalid: {exc}") from exc

    env = read("IVR_ENV", "development")
    if env not in ("development", "production", "test"):
        raise SettingsError(f"IVR_ENV={env!r} is invalid: use development, production or test")
    return Settings(
        database_url=_normalise_db_url(
            read("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'ivr.db'}")
        ),
        redis_url=source.get("REDIS_URL", "").strip() or None,
        twilio_account_sid=source.get("TWILIO_ACCOUNT_SID", "").strip(),
        twilio_auth_token=read("TWILIO_AUTH_TOKEN"),
        public_url=read("IVR_PUBLIC_URL", "http://127.0.0.1:5000", _url),
        secret_key=read("SECRET_KEY"),
        recordings_dir=read("IVR_RECORDINGS_DIR", "recordings", _path),
        flows_dir=read("IVR_FLOWS_DIR", "flows", _path),
        models_dir=read("IVR_MODELS_DIR", "models", _path),
        timezone=read("IVR_TIMEZONE", "Asia/Shanghai", _zone),
        default_locale=read("IVR_DEFAULT_LOCALE", "zh-CN"),
        # Outside production, loopback too: `ivr call --record` serves recordings there.
        media_hosts=read(
            "IVR_MEDIA_HOSTS",
            "api.twilio.com" if env == "production" else "api.twilio.com,127.0.0.1",
            parse_media_hosts,
        ),
        voicemail_max_seconds=read("IVR_VOICEMAIL_MAX_SECONDS", "120", _positive_int),
        telephony=read("IVR_TELEPHONY", "twilio", _telephony),
        session_idle_hours=read("IVR_SESSION_IDLE_HOURS", "8", _positive_int),
        service_level_seconds=read("IVR_SERVICE_LEVEL_SECONDS", "20", _positive_int),
        recordings_import_dir=read(
            "IVR_RECORDINGS_IMPORT_DIR", "", lambda v: _path(v) if v else None
        ),
        recordings_import_settle=read("IVR_RECORDINGS_IMPORT_SETTLE", "10", _positive_int),
        env=env,
        vosk_models={k: v for k, v in source.items() if k.startswith("VOSK_MODEL_")},
        fax=_fax_settings(read, source),
    )


def _normalise_db_url(url: str) -> str:
    """Heroku-style ``postgres://`` URLs name the psycopg 3 driver explicitly."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _fax_settings(read: Callable[..., object], source: Mapping[str, str]) -> FaxSettings:
    def provider(value: str) -> str:
        if value not in FAX_PROVIDERS:
            raise ValueError(f"use one of {', '.join(FAX_PROVIDERS)}")
        return value

    def font(value: str) -> Path | None:
        path = _path(value) if value else None
        if path is not None and not path.is_file():
            raise ValueError(f"no font file {path}")
        return path

    chosen = read("IVR_FAX_PROVIDER", "outbox", provider)
    if chosen == "rest" and not source.get("IVR_FAX_REST_URL", "").strip():
        raise SettingsError("IVR_FAX_REST_URL is not set: IVR_FAX_PROVIDER=rest needs it")
    return FaxSettings(
        provider=chosen,
        outbox=read("IVR_FAX_OUTBOX", ROOT / "instance" / "fax-outbox", _path),
        font=read("IVR_FAX_FONT", "", font),
        sendfax=read("IVR_FAX_SENDFAX", "sendfax"),
        hylafax_host=read("IVR_FAX_HYLAFAX_HOST", ""),
        rest_url=read("IVR_FAX_REST_URL", "", lambda v: _url(v) if v else ""),
        rest_user=read("IVR_FAX_REST_USER", source.get("TWILIO_ACCOUNT_SID", "").strip()),
        rest_token=read("IVR_FAX_REST_TOKEN", source.get("TWILIO_AUTH_TOKEN", "").strip()),
        sender=read("IVR_FAX_FROM", ""),
        media_ttl=read("IVR_FAX_MEDIA_TTL", str(24 * 3600), _positive_int),
    )
