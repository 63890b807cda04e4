"""``ivr models ...``: list configured speech models and fetch the official ones."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .fetch import KNOWN_MODELS, FetchError, fetch_model, normalize_sha256
from .models import ModelUnavailable, normalize_locale

cli = AppGroup("models", help="Manage the offline (Vosk) speech-recognition models.")


def _models_dir() -> Path:
    return current_app.config["SETTINGS"].models_dir


@cli.command("list")
def list_models() -> None:
    """Show each locale and where its model resolves (as the app and workers see it)."""
    registry = current_app.extensions["ivr.speech"]
    locales = sorted(set(KNOWN_MODELS) | set(registry.configured_locales()))
    width = max(len(locale) for locale in locales)
    for locale in locales:
        try:
            location = registry.resolve(locale)
        except ModelUnavailable as exc:
            if exc.misconfigured:
                click.echo(f"{locale:<{width}}  misconfigured: {exc.reason}")
            else:
                hint = f" (ivr models fetch {locale})" if locale in KNOWN_MODELS else ""
                click.echo(f"{locale:<{width}}  not configured{hint}")
        else:
            click.echo(f"{locale:<{width}}  {location.path}  [{location.name}; {location.source}]")


@cli.command("fetch")
@click.argument("locale")
@click.option("--sha256", "sha256", help="Expected SHA-256 of the archive (overrides the pin).")
@click.option("--url", help="Download from this URL instead of the official one.")
@click.option("--force", is_flag=True, help="Replace an existing model for the locale.")
def fetch(locale: str, sha256: str | None, url: str | None, force: bool) -> None:
    """Download a Vosk model for LOCALE (zh-CN, en-US) into IVR_MODELS_DIR/LOCALE."""
    try:
        locale = normalize_locale(locale)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="LOCALE") from None
    known = KNOWN_MODELS.get(locale) if url is None else None
    if known is None and url is None:
        choices = ", ".join(sorted(KNOWN_MODELS))
        raise click.UsageError(
            f"no official model pinned for {locale} (known: {choices}); give --url and --sha256"
        )
    source_url = known.url if known is not None else str(url)
    pinned = known.sha256 if known is not None else None
    digest = sha256 or pinned
    if not digest:
        raise click.UsageError(
            f"no trusted SHA-256 is known for {source_url}; pass the checksum with --sha256"
        )
    try:
        digest = normalize_sha256(digest)
    except FetchError as exc:
        raise click.BadParameter(str(exc), param_hint="--sha256") from None
    # The official size only applies to the official archive with its pinned digest.
    size = known.size if known is not None and digest == pinned else None

    target_root = _models_dir()
    click.echo(f"Downloading {source_url}")
    try:
        path = fetch_model(
            source_url,
            digest,
            target_root,
            locale,
            expected_size=size,
            force=force,
            progress=_Progress(),
        )
    except FetchError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Installed {locale} model in {path} (SHA-256 verified: {digest})")


class _Progress:
    """Prints a line every 10 % (or every 10 MiB when the size is unknown)."""

    def __init__(self) -> None:
        self._next = 0.1

    def __call__(self, received: int, total: int | None) -> None:
        mib = received / (1 << 20)
        if total:
            if received / total >= self._next or received == total:
                click.echo(f"  {received * 100 // total:3d}%  {mib:.1f} MiB", err=True)
                while self._next <= received / total:
                    self._next += 0.1
        elif mib >= self._next * 100:
            click.echo(f"  {mib:.1f} MiB", err=True)
            self._next += 0.1
