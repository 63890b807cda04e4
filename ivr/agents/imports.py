"""Agents' call recordings the switch or PBX wrote: imported, where ``<Dial>`` cannot record.

Somleng's ``<Dial>`` has no ``record``, so FreeSWITCH (or the centre's PBX)
records the agent's calls into a folder. Each WAV is matched to its call by
the CallSid (Twilio ``CA…`` or Somleng's UUID) in its file name or in a JSON
sidecar, and to the agent who took it: named in the name or sidecar, or the
one agent the call was put through to (the ``agent-dial`` and
``connect-result`` call events). It becomes a ``call_recordings`` row like
one a recorded ``<Dial>`` leaves, stored in the same place and queued for the
same transcription, so inspectors sample and grade it the same way. A file
that matches nothing goes to ``rejected/`` with its reason; a file imported
again (same call, same bytes) is not stored twice. README: "Recordings
written by the switch".
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr import db, jobs
from ivr.agents.models import Agent, CallRecording
from ivr.agents.recordings import KIND
from ivr.calls import journal
from ivr.calls.models import Call, CallEvent
from ivr.params import UUID
from ivr.recordings import callbacks, imports
from ivr.recordings.imports import Audio, Unusable
from ivr.recordings.models import DownloadStatus

log = logging.getLogger("ivr.agents")

TASK = "agents.import-recordings"
CONNECTED = {"completed", "answered"}
_UUID = f"(?i:{UUID})"  # file names may be in either case
CALL_SID = re.compile(rf"CA[0-9a-f]{{32}}|{_UUID}")
# In a file name: the call id, optionally followed by _<agent number>.
IN_NAME = re.compile(
    rf"(?<![0-9A-Za-z])(?P<call>CA[0-9a-f]{{32}}|{_UUID})(?:_(?P<agent>\d{{1,16}}))?(?![0-9A-Za-z])"
)
# A phone number in a file name (e.g. ${caller_id_number}_…): masked in logs.
NUMBER_IN_NAME = re.compile(r"(?<![0-9A-Za-z])(\+?\d{2})\d{3,}(\d{3})(?![0-9])")
CHANNEL_ORDERS = {("caller", "agent"): False, ("agent", "caller"): True}  # -> swap?


@dataclass(frozen=True)
class Outcome:
    """What became of one file: imported, skipped (for now) or rejected."""

    name: str  # relative to the folder
    status: str
    detail: str = ""
    call_sid: str = ""
    agent_number: str = ""
    recording_id: int | None = None

    def line(self, dry_run: bool = False) -> str:
        who = f"call {self.call_sid}, agent {self.agent_number}"
        if self.status == "imported":
            if dry_run:
                return f"{self.name}: would be imported ({who})"
            return f"{self.name}: imported ({who}) as recording {self.recording_id}"
        if self.status == "rejected":
            if dry_run:
                return f"{self.name}: would be rejected ({self.detail})"
            return f"{self.name}: rejected ({self.detail}), moved to {imports.REJECTED}/"
        return f"{self.name}: skipped ({self.detail})"


@dataclass(frozen=True)
class Match:
    call: Call
    agent: Agent
    audio: Audio
    digest: str
    swap: bool  # the file has the agent on the left: stored the other way round
    started_at: datetime


def import_folder(
    folder: Path, *, settle: float, now: float | None = None, dry_run: bool = False
) -> list[Outcome]:
    """Import every finished WAV under ``folder`` (one outcome each, in name order)."""
    moment = time.time() if now is None else now
    paths = list(imports.audio_files(folder))
    if paths:
        unreadable = _flush_call_journal()
        if unreadable:
            return [Outcome(p.relative_to(folder).as_posix(), "skipped", unreadable) for p in paths]
    outcomes = []
    for path in paths:
        try:
            outcome = import_file(folder, path, settle=settle, now=moment, dry_run=dry_run)
        except FileNotFoundError:  # another import (the command, a second worker) took it
            session = db.session()
            session.rollback()
            name = path.relative_to(folder).as_posix()
            outcome = Outcome(name, "skipped", "gone: taken by another import")
        outcomes.append(outcome)
    return outcomes


def _flush_call_journal() -> str | None:
    """Write the call steps still waiting in Redis (ivr.calls.journal): a call's
    agent-dial events must be in call_events before its file is matched.
    Why nothing can be matched now, or None."""
    from redis.exceptions import RedisError

    waiting = journal.journal()
    if waiting is None:
        return None
    try:
        waiting.flush()
    except RedisError as exc:
        log.warning("recording files wait: the call journal cannot be read (%s)", exc)
        return f"the call journal in Redis cannot be read: {type(exc).__name__}"
    return None


def import_file(folder: Path, path: Path, *, settle: float, now: float, dry_run: bool) -> Outcome:
    name = path.relative_to(folder).as_posix()
    sidecar = imports.sidecar_of(path)
    waiting = imports.unfinished(path, settle, now)
    if waiting is None and sidecar is not None:
        waiting = imports.unfinished(sidecar, settle, now)
        waiting = waiting and f"its sidecar is {waiting}"
    if waiting:
        return Outcome(name, "skipped", waiting)
    session = db.session()
    try:
        match = _match(session, path, sidecar)
    except Unusable as exc:
        if not dry_run:
            imports.set_aside(path, folder, str(exc), sidecar)
            log.warning(
                "recording file %s set aside in %s/: %s", _masked(name), imports.REJECTED, exc
            )
        return Outcome(name, "rejected", str(exc))
    done = Outcome(name, "imported", call_sid=match.call.sid, agent_number=match.agent.agent_number)
    key = recording_key(match.call.sid, match.digest)
    existing = session.scalar(select(CallRecording.id).where(CallRecording.recording_sid == key))
    if existing is not None:
        if not dry_run:
            imports.remove(path, sidecar)  # the same bytes are stored already
        return Outcome(name, "skipped", f"already imported as recording {existing}")
    if dry_run:
        return done
    try:
        recording = _store(session, match, key, path)
    except OSError as exc:  # the store's disk: the file stays for the next attempt
        session.rollback()
        log.error("could not store recording file %s: %s", _masked(name), exc)
        return Outcome(name, "skipped", f"could not store it: {exc}")
    jobs.enqueue("recording.transcribe", KIND, recording.id)
    imports.remove(path, sidecar)
    log.info(
        "imported recording file %s as %s recording %d (agent %s)",
        _masked(name),
        KIND,
        recording.id,
        match.agent.agent_number,
        extra={"call_sid": match.call.sid},
    )
    return Outcome(
        name,
        "imported",
        call_sid=match.call.sid,
        agent_number=match.agent.agent_number,
        recording_id=recording.id,
    )


def _masked(name: str) -> str:
    return NUMBER_IN_NAME.sub(r"\1****\2", name)


def recording_key(call_sid: str, file_digest: str) -> str:
    """The row's recording_sid: one per call and file content, so re-imports are no-ops."""
    return "PBX" + hashlib.sha256(f"{call_sid}:{file_digest}".encode()).hexdigest()[:40]


def _store(session: Session, match: Match, key: str, path: Path) -> CallRecording:
    settings = current_app.config["SETTINGS"]
    relative = f"{KIND}/{match.started_at:%Y/%m/%d}/{key}.wav"
    stored = imports.store(path, settings.recordings_dir / relative, swap_channels=match.swap)
    recording = callbacks.upsert(
        session,
        CallRecording,
        key,
        call_sid=match.call.sid,
        call_id=match.call.id,
        agent_id=match.agent.id,
        caller=match.call.from_number,
        locale=match.call.locale,
        started_at=match.started_at,
        audio_path=relative,
        sha256=stored,
        duration=match.audio.duration,
        download_status=DownloadStatus.DOWNLOADED,
    )
    session.commit()
    return recording


# --- matching a file to its call and agent -------------------------------------------
def _match(session: Session, path: Path, sidecar: Path | None) -> Match:
    extra = imports.read_sidecar(sidecar) if sidecar else {}
    audio = imports.read_audio(path)
    if audio.channels not in (1, 2):
        raise Unusable(f"{audio.channels} channels: expected 1 (mixed) or 2 (caller, agent)")
    call, agent_number = _call_of(session, path.name, extra, sidecar is not None)
    agent = _agent_of(session, call, agent_number, extra)
    return Match(
        call,
        agent,
        audio,
        imports.digest(path),
        _swap(extra, audio),
        _started_at(extra, call),
    )


def _call_of(
    session: Session, name: str, extra: dict[str, Any], has_sidecar: bool
) -> tuple[Call, str]:
    """The call, and the agent number the file name gives ("" if none)."""
    if "call_sid" in extra:
        sid = extra["call_sid"]
        if not isinstance(sid, str) or not CALL_SID.fullmatch(sid):
            raise Unusable("the sidecar's call_sid is not a call id (CA… or a UUID)")
        call = _call(session, sid)
        if call is None:
            raise Unusable(f"no call {_canonical(sid)} in the calls table")
        return call, ""
    found = [(m["call"], m["agent"] or "") for m in IN_NAME.finditer(name)]
    if not found:
        where = "the sidecar has no call_sid" if has_sidecar else "there is no sidecar"
        raise Unusable(f"no call id (CA… or a UUID) in the file name, and {where}")
    for sid, number in found:  # e.g. FreeSWITCH's leg uuid beside Somleng's call id
        call = _call(session, sid)
        if call is not None:
            return call, number
    raise Unusable(f"no call {', '.join(_canonical(s) for s, _ in found)} in the calls table")


def _canonical(sid: str) -> str:
    return sid if sid.startswith("CA") else sid.lower()


def _call(session: Session, sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.sid == _canonical(sid)))


def _agent_of(session: Session, call: Call, number: str, extra: dict[str, Any]) -> Agent:
    results = _put_through(session, call)
    agent: Agent | None
    if "agent_id" in extra:
        value = extra["agent_id"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise Unusable("the sidecar's agent_id is not a whole number")
        agent = session.get(Agent, value)
        if agent is None:
            raise Unusable(f"no agent with id {value}")
    elif "agent" in extra or number:
        value = extra.get("agent", number)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise Unusable("the sidecar's agent is not an agent number")
        agent = session.scalar(select(Agent).where(Agent.agent_number == str(value)))
        if agent is None:
            raise Unusable(f"no agent numbered {value}")
    else:
        answered = [a for a, result in results.items() if result in CONNECTED or result is None]
        if not results:
            raise Unusable(f"call {call.sid} was never put through to an agent")
        if len(answered) != 1:
            raise Unusable(
                f"call {call.sid} was put through to {len(answered)} agents: "
                "name the agent in the file name or the sidecar"
            )
        agent = session.get(Agent, answered[0])
        if agent is None:
            raise Unusable(f"the agent of call {call.sid} has been removed")
        return agent
    if agent.id not in results:
        raise Unusable(f"call {call.sid} was not put through to agent {agent.agent_number}")
    result = results[agent.id]
    if result is not None and result not in CONNECTED:
        raise Unusable(f"agent {agent.agent_number} did not answer call {call.sid} ({result})")
    return agent


def _put_through(session: Session, call: Call) -> dict[int, str | None]:
    """Agent id -> how their leg of the call ended (None: not said yet), from the events
    the agent node writes; "completed" if any of their legs was answered."""
    events = session.scalars(
        select(CallEvent)
        .where(CallEvent.call_id == call.id, CallEvent.kind.in_(("agent-dial", "connect-result")))
        .order_by(CallEvent.created_at, CallEvent.id)
    )
    results: dict[int, str | None] = {}
    for event in events:
        agent = event.detail.get("agent")
        if not isinstance(agent, int):
            continue
        if event.kind == "agent-dial":
            results.setdefault(agent, None)
        elif agent in results and results[agent] not in CONNECTED:
            results[agent] = str(event.detail.get("result", ""))
    return results


def _swap(extra: dict[str, Any], audio: Audio) -> bool:
    order = extra.get("channels")
    if order is None:
        return False
    if not isinstance(order, list) or tuple(order) not in CHANNEL_ORDERS:
        raise Unusable('the sidecar\'s channels must be ["caller", "agent"] or ["agent", "caller"]')
    if audio.channels != 2:
        raise Unusable(f"the sidecar names two channels, the file has {audio.channels}")
    return CHANNEL_ORDERS[tuple(order)]


def _started_at(extra: dict[str, Any], call: Call) -> datetime:
    """When the recording began: the sidecar's started_at (ISO 8601 with a zone, or Unix
    seconds as FreeSWITCH's ${answered_epoch} gives), else when the call began."""
    value = extra.get("started_at")
    if value is None:
        return call.started_at
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC)
    raise Unusable("the sidecar's started_at is neither ISO 8601 with a zone nor Unix seconds")


# --- the watched folder and the command -----------------------------------------------
def _interval() -> int | None:
    settings = current_app.config["SETTINGS"]
    return settings.recordings_import_settle if settings.recordings_import_dir else None


@jobs.periodic(TASK, every=_interval, queue="default", timeout=900)
def import_watched_folder() -> None:
    """IVR_RECORDINGS_IMPORT_DIR, looked at every IVR_RECORDINGS_IMPORT_SETTLE seconds."""
    settings = current_app.config["SETTINGS"]
    folder = settings.recordings_import_dir
    if folder is None:
        return
    if not folder.is_dir():
        log.warning("IVR_RECORDINGS_IMPORT_DIR %s is not a folder: nothing imported", folder)
        return
    import_folder(folder, settle=settings.recordings_import_settle)


@click.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would happen; store and move nothing.")
@with_appcontext
def import_command(folder: Path, dry_run: bool) -> None:
    """Import agents' call recordings the switch or PBX wrote into FOLDER.

    One line per WAV file: imported (call, agent), skipped (why: still being
    written, already imported) or rejected (why; moved to FOLDER/rejected/).
    """
    settings = current_app.config["SETTINGS"]
    outcomes = import_folder(
        folder.resolve(), settle=settings.recordings_import_settle, dry_run=dry_run
    )
    for outcome in outcomes:
        click.echo(outcome.line(dry_run))
    counts = {s: sum(o.status == s for o in outcomes) for s in ("imported", "skipped", "rejected")}
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items()))
