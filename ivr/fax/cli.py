"""``ivr fax check | list | render | retry``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ivr import db, jobs
from ivr.clock import centre_iso, centre_text
from ivr.fax.callbacks import status_callback_url
from ivr.fax.catalogue import Catalogue
from ivr.fax.models import FaxRequest, FaxStatus
from ivr.fax.pdf import FontMissing, find_font, render
from ivr.fax.service import DELIVER

cli = AppGroup("fax", help="Fax on demand (option 3): catalogue and requests.")


def _catalogue() -> Catalogue:
    return current_app.extensions["ivr.fax.catalogue"]


@cli.command("check")
def check_command() -> None:
    """The catalogue (checked at start-up), the CJK font and the delivery provider."""
    settings = current_app.config["SETTINGS"].fax
    catalogue = _catalogue()
    click.echo(f"catalogue: {len(catalogue.documents)} documents in {catalogue.source}")
    for document in catalogue.documents.values():
        kind = f"pdf {document.pdf.name}" if document.pdf else f"text, {len(document.text)} chars"
        click.echo(f"  {document.key}: {document.title('zh-CN')} ({kind})")
    try:
        click.echo(f"font: {find_font(settings.font)}")
    except FontMissing as exc:
        raise click.ClickException(str(exc)) from exc
    target = {
        "outbox": str(settings.outbox),
        "hylafax": f"{settings.sendfax} {settings.hylafax_host or '(local server)'}",
        "rest": f"{settings.rest_url}/Faxes",
    }[settings.provider]
    click.echo(f"provider: {settings.provider} → {target}")
    if settings.provider == "rest":
        public = current_app.config["SETTINGS"].public_url
        hours = settings.media_ttl / 3600
        click.echo(f"  documents: {public}/media/fax/<signed link>.pdf, valid {hours:g} h")
        click.echo(f"  status callbacks: {status_callback_url()}")


@cli.command("render")
@click.argument("key")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def render_command(key: str, output: Path) -> None:
    """Write document KEY as the PDF a caller would receive (to check the layout)."""
    document = _catalogue().get(key)
    if document is None:
        raise click.ClickException(f"no document {key!r} in the catalogue")
    try:
        font = find_font(current_app.config["SETTINGS"].fax.font)
    except FontMissing as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_bytes(render(document, font))
    click.echo(f"wrote {output}")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--limit", default=50, show_default=True)
def list_command(as_json: bool, limit: int) -> None:
    """Fax requests, newest first (numbers masked)."""
    rows = (
        db.session()
        .scalars(
            select(FaxRequest)
            .order_by(FaxRequest.created_at.desc(), FaxRequest.id.desc())
            .limit(limit)
        )
        .all()
    )
    zone = current_app.config["SETTINGS"].timezone
    items = [
        {
            "id": r.id,
            "created_at": centre_iso(r.created_at, zone),
            "document": r.document_key,
            "title": r.document_title,
            "number": r.masked_number,
            "status": r.status,
            "attempts": r.attempts,
            "provider": r.provider,
            "error": r.error,
        }
        for r in rows
    ]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no fax requests")
    for r in rows:
        click.echo(
            f"{r.id:>5}  {centre_text(r.created_at, zone)}  doc {r.document_key:<2} "
            f"{r.masked_number:<14} {r.status:<8} {r.attempts}x  {r.error[:60]}"
        )


@cli.command("retry")
@click.argument("request_id", type=int)
def retry_command(request_id: int) -> None:
    """Queue a failed (or stuck) request again."""
    request = db.session().get(FaxRequest, request_id)
    if request is None:
        raise click.ClickException(f"no fax request {request_id}")
    if request.status in (FaxStatus.SENT, FaxStatus.DELIVERED):
        raise click.ClickException(f"fax request {request_id} was {request.status} already")
    request.status, request.attempts, request.error = FaxStatus.QUEUED, 0, ""
    db.session().commit()
    jobs.enqueue(DELIVER, request.id)
    click.echo(f"queued fax request {request_id}")
