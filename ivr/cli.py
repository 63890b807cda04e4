"""The ``ivr`` command: one entry point, groups by domain."""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from ivr.settings import DEFAULT_ENV_FILE, SettingsError, load_settings

if TYPE_CHECKING:
    from ivr.simulator.media_host import MediaHost


def _create_app(*_args, **_kwargs) -> Flask:
    from ivr.app import create_app
    from ivr.flows import FlowFileError

    try:
        return create_app()
    except (SettingsError, FlowFileError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from importlib.metadata import version

        click.echo(f"ivr {version('ivr-12333')}")
        ctx.exit()


class _Group(FlaskGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command; before the settings exist (a first ``ivr --help``), the core
        ones, after the line that says what is missing (the domains' need the app)."""
        try:
            return super().list_commands(ctx)
        except SystemExit:
            return sorted(self.commands)


@click.group(
    cls=_Group,
    create_app=_create_app,
    load_dotenv=False,
    set_debug_flag=False,
    add_version_option=False,
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version and exit.",
)
def main() -> None:
    """IVR server for the 12333 labour and social-security hotline."""


def _settings():
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _is_set(name: str) -> bool:
    """Set in the environment or in the env file under it (``ivr dev init``'s)."""
    from dotenv import dotenv_values

    env_file = Path(os.environ.get("IVR_ENV_FILE", DEFAULT_ENV_FILE))
    return bool(os.environ.get(name) or (env_file.is_file() and dotenv_values(env_file).get(name)))


# --- ivr dev ---------------------------------------------------------------
@main.group(cls=click.Group)
def dev() -> None:
    """Local development helpers."""


@dev.command("init")
def dev_init() -> None:
    """Write development secrets to instance/ivr.env (once) and migrate the database."""
    env_file = Path(os.environ.get("IVR_ENV_FILE", DEFAULT_ENV_FILE))
    env_file.parent.mkdir(parents=True, exist_ok=True)
    if not env_file.exists():
        env_file.write_text(
            "# Development defaults written by `ivr dev init`; environment variables win.\n"
            f"SECRET_KEY={secrets.token_hex(32)}\n"
            f"TWILIO_AUTH_TOKEN={secrets.token_hex(16)}\n"
            f"TWILIO_ACCOUNT_SID=AC{secrets.token_hex(16)}\n",
            encoding="utf-8",
        )
        env_file.chmod(0o600)
        click.echo(f"wrote {env_file}")
    from ivr.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, secret_key=settings.secret_key)
    click.echo("database is up to date")
    ctx = click.get_current_context()
    ctx.invoke(dev_demo)


@dev.command("demo")
@with_appcontext
def dev_demo() -> None:
    """Create demo users and data once, so a new user can log in and try everything."""
    from flask import current_app

    from ivr.demo import create_demo
    from ivr.registry import registry

    for line in create_demo():
        click.echo(line)
    ctx = click.get_current_context()
    for demo in registry(current_app).demos:  # each domain's: accounts, agents, a sampled month
        ctx.invoke(demo)


# --- ivr db ----------------------------------------------------------------
@main.group(cls=click.Group)
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from ivr.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision, secret_key=settings.secret_key)
    click.echo(f"database upgraded to {revision}")


@db.command("heads")
def db_heads() -> None:
    from ivr.migrate import heads

    click.echo("\n".join(heads()))


# --- ivr flows -------------------------------------------------------------
@main.group(cls=click.Group)
def flows() -> None:
    """Call flows, prompts, hours and directories in flows/."""


@flows.command("check")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False), help="Default: IVR_FLOWS_DIR."
)
def flows_check(directory: str | None) -> None:
    """Validate every flow file and the data beside it; exit 1 naming file, line and problem.

    Builds the app as the server would, so every domain's node types and data
    files (fax.yaml, rubrics, phrases) are checked exactly as at start. Then
    lists what the flows ask that IVR_TELEPHONY's platform cannot do as written
    (for somleng: prompts without audio, voices that need AWS Polly).
    """
    from ivr.app import create_app
    from ivr.flows import FlowFileError

    try:
        app = create_app({"IVR_FLOWS_DIR": directory} if directory else None)
    except (SettingsError, FlowFileError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    bundle = app.extensions["ivr.flows"]
    for warning in app.extensions.get("ivr.flows.warnings", []):  # a domain's, file:line: reason
        click.echo(f"warning: {warning}", err=True)
    locales = ", ".join(bundle.prompts.by_locale)
    click.echo(
        f"ok: {bundle.id}: {len(bundle.nodes)} nodes, locales {locales}, "
        f"{len(bundle.directory.centres)} centres, {len(bundle.schedules)} schedules"
    )
    from ivr.voice.readiness import findings

    profile = app.extensions["ivr.telephony"]
    found = findings(bundle, profile)
    if found:
        click.echo(f"{len(found)} things the flows ask that {profile.name} cannot do as written:")
        for finding in found:
            click.echo(f"  {finding}")


# --- ivr serve -------------------------------------------------------------
@main.command("serve", with_appcontext=False)
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", default=2, show_default=True)
def serve(bind: str, workers: int) -> None:
    """Serve the app with gunicorn (as the Procfile's web process does).

    Unless IVR_PUBLIC_URL is set (environment or instance/ivr.env), the public
    URL follows --bind, so requests signed for this address (``ivr call``) pass.
    """
    _settings()  # fail early with a clear message
    if not _is_set("IVR_PUBLIC_URL"):
        os.environ["IVR_PUBLIC_URL"] = f"http://{bind}"
    os.execvp(  # noqa: S606 - replaces this process with gunicorn
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:ivr.gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "ivr.app:create_app()",
        ],
    )


# --- ivr call --------------------------------------------------------------
@main.command("call", with_appcontext=False)
@click.option("--url", help="A running server (e.g. http://127.0.0.1:5000); default: in-process.")
@click.option("--public-url", help="The URL Twilio would sign (default: IVR_PUBLIC_URL).")
@click.option(
    "--press",
    help="Keys to press, comma-separated: 1,*,0431#  (- = silence; @养老 says it, @X.wav plays "
    "it, @1 presses 1, at the next speech menu's stream).",
)
@click.option("--say", help="What the caller says at the first speech menu (espeak-ng).")
@click.option(
    "--say-file",
    type=click.Path(exists=True, dir_okay=False),
    help="A WAV the caller plays at the first speech menu instead (any rate; resampled).",
)
@click.option("--fast", is_flag=True, help="Stream the caller's audio without real-time pace.")
@click.option(
    "--media-url",
    help="Open media streams here (e.g. ws://127.0.0.1:5001) instead of the TwiML's wss:// host.",
)
@click.option("--from", "caller", default="+8643188881234", show_default=True)
@click.option("--to", "called", default="+8643112333", show_default=True)
@click.option(
    "--dial-status",
    default="completed",
    show_default=True,
    type=click.Choice(["completed", "busy", "no-answer", "failed"]),
)
@click.option(
    "--queue-rounds",
    default=3,
    show_default=True,
    type=click.IntRange(min=0),
    help="Wait-URL rounds (15 s each) in an agents' queue before the caller hangs up.",
)
@click.option(
    "--record",
    "record_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A WAV file: what the caller says at a <Record> (option 2), served to the server "
    "as Twilio serves recordings.",
)
@click.option(
    "--telephony",
    type=click.Choice(["twilio", "somleng"]),
    help="Play this platform (default: IVR_TELEPHONY); somleng fails on TwiML it would not run.",
)
def call(
    url: str | None,
    public_url: str | None,
    press: str | None,
    say: str | None,
    say_file: str | None,
    fast: bool,
    media_url: str | None,
    caller: str,
    called: str,
    dial_status: str,
    queue_rounds: int,
    record_file: Path | None,
    telephony: str | None,
) -> None:
    """Place a simulated call as Twilio would and print what the caller hears.

    In a queue the caller hears what the wait URL answers, round after round,
    until it says <Leave/> or the caller gives up after --queue-rounds rounds.
    With --record, a media host on 127.0.0.1 serves the file as each <Record>'s
    recording, until the server has downloaded it. At a speech menu the caller's
    audio goes over the media stream as the platform sends it (20 ms frames of
    8 kHz μ-law).
    """
    from ivr.simulator import CallFailed, MediaStreams, Phone, flask_transport, http_transport
    from ivr.simulator.media_host import MediaHost, NotAWav
    from ivr.simulator.utterance import SpeechUnavailable

    keys = call_keys(press, say, say_file)
    settings = _settings()
    media = None
    if record_file is not None:
        try:
            media = MediaHost(record_file, settings.twilio_account_sid or "AC" + "0" * 32)
        except NotAWav as exc:
            raise click.BadParameter(str(exc), param_hint="--record") from exc
        if media.seconds < 1:
            media.close()
            raise click.BadParameter(
                f"{record_file} lasts {media.seconds:.1f} s: the server keeps no message "
                "under one second",
                param_hint="--record",
            )
    public = public_url or (url if url and public_url is None else None) or settings.public_url
    if url:
        transport = http_transport(url)
    else:
        from ivr.app import create_app

        if telephony:  # the app in this process answers as the platform played
            settings = dataclasses.replace(settings, telephony=telephony)
        app = create_app({"SETTINGS": settings})
        public = settings.public_url
        transport = flask_transport(app.test_client(), public)
        if media is not None:  # this process is the server: it runs the download
            from ivr import jobs

            jobs.start(app)

    def show(step) -> None:
        if step.verb == "say":
            click.echo(f"  🔊 {step.text}")
        elif step.verb == "play":
            click.echo(f"  🔊 [plays {step.text.rsplit('/', 1)[-1]}]")
        elif step.verb == "pause":
            click.echo(f"  …  ({step.attrs.get('length', '1')} s of quiet)")
        elif step.verb == "press":
            during = " (while the stream listens)" if step.attrs.get("during") else ""
            click.echo(f"  ☎  pressed {step.text}{during}")
        elif step.verb == "stream":
            click.echo(f"  🎙 stream to {step.text}")
        elif step.verb == "speak":
            click.echo(f"  🗣 {step.attrs['verb']} {step.text}")
        elif step.verb == "streamed":
            click.echo(f"  🎙 stream ended ({step.text}) after {step.attrs['seconds']} s of audio")
        elif step.verb == "silence":
            click.echo("  …  (silence)")
        elif step.verb in ("dial", "enqueue"):
            click.echo(f"  ↪  {step.verb} {step.text}")
        elif step.verb == "wait":
            where = f"position {step.attrs['position']}, {step.attrs['time']} s in"
            click.echo(f"  ⏳ waiting in queue {step.text} ({where})")
        elif step.verb == "leave":
            click.echo("  ↪  leaves the queue")
        elif step.verb == "hangup":
            click.echo("  ✆  hang up")

    def ask(_step) -> str | None:
        if not sys.stdin.isatty():
            return None
        answer = click.prompt(
            "keys (- silence, @养老 speak, q hang up)", default="-", show_default=False
        )
        return None if answer.strip().lower() == "q" else answer.strip()

    phone = Phone(
        transport,
        public,
        settings.twilio_auth_token,
        caller=caller,
        called=called,
        dial_status=dial_status,
        queue_rounds=queue_rounds,
        telephony=telephony or settings.telephony,
        on_step=show,
        ask=None if press is not None else ask,
        recorder=media.record if media else None,
        streams=MediaStreams(
            fast=fast,
            media_url=media_url,
            signed=(telephony or settings.telephony) == "twilio",  # Somleng does not sign it
            locale=settings.default_locale,
        ),
    )
    try:
        record = phone.call(keys)
        click.echo(f"call {record.sid} ended: {record.ended_by}")
        if media is not None:
            _report_recordings(media, url or public)
    except SpeechUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    except CallFailed as exc:
        if exc.status == 403:
            raise click.ClickException(
                f"the server refused the signature: this call was signed for {public}; "
                "give --public-url the server's IVR_PUBLIC_URL"
            ) from exc
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # requests' ConnectionError is one
        raise click.ClickException(
            f"no server answers at {url} (start one with scripts/serve, or leave out --url "
            "to call the app in this process)"
        ) from exc
    finally:
        if media is not None:
            media.close()
            if not url:
                from ivr import jobs

                jobs.stop(app)


RECORD_TIMEOUT = 60.0  # seconds `ivr call --record` waits for the server's download


def _report_recordings(media: MediaHost, server: str) -> None:
    """Wait until the server has downloaded what each <Record> captured; say so."""
    if not media.fetched:
        click.echo("  ●  no <Record> in this call: the --record file was not used")
        return
    missing = media.wait(RECORD_TIMEOUT)
    if missing:
        raise click.ClickException(
            f"the server did not download recording {missing[0]} within {RECORD_TIMEOUT:.0f} s "
            f"from {media.base_url}: is 127.0.0.1 in its IVR_MEDIA_HOSTS, and (with REDIS_URL) "
            "is `ivr worker` running?"
        )
    for sid in media.fetched:
        click.echo(f"  ●  recorded {media.seconds:.1f} s as {sid}; the server downloaded it")
    click.echo(
        f"  ●  the message is in the inbox, {server}/staff/voicemail (transcribed in the "
        "background where a speech model for the call's locale is installed)"
    )


def call_keys(press: str | None, say: str | None, say_file: str | None) -> list[str]:
    """What ``ivr call`` does, in order: ``--say``/``--say-file`` first (as ``@…``), then ``--press``."""
    if say and say_file:
        raise click.UsageError("give --say or --say-file, not both")
    if say_file and not say_file.lower().endswith(".wav"):
        raise click.UsageError("--say-file takes a .wav file")
    keys = [f"@{say or say_file}"] if say or say_file else []
    presses = [key.strip() for key in press.split(",")] if press else []
    if "@" in presses:
        raise click.UsageError("--press: @ needs what to say, e.g. @养老")
    return keys + presses
