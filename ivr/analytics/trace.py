"""One call's timeline, built from the rows the server stored about it.

:func:`load` reads a call's events, recordings, tickets and fax requests;
:func:`timeline` turns them into steps a person reads: time, node, keys,
what happened (in the centre's words) and its details. Keys are never shown
in clear at a node whose type takes sensitive input (option 4's personal
number and password: stored masked already, masked here again whatever a
row holds), and anything that looks like a phone or fax number (seven digits
or more) is shown as its head and last two digits. Event kinds this module
does not know (a speech outcome ``speech-…``, events added later) are shown
as their kind and details, so they appear without a change here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ivr.agents.models import Agent
from ivr.calls.models import Call, CallEvent
from ivr.complaints.models import Ticket
from ivr.fax.models import FaxRequest

# What each known kind of event is, in the staff UI's words, and its group (a CSS class).
KINDS: dict[str, tuple[str, str]] = {
    "incoming": ("来电接入 Call came in", "flow"),
    "enter": ("进入 Entered", "flow"),
    "menu": ("播放提示 Prompt played", "flow"),
    "hours": ("工作时间判断 Hours checked", "flow"),
    "digits": ("按键 Keys pressed", "input"),
    "option": ("选择 Option taken", "input"),
    "back": ("返回 Back (*)", "input"),
    "invalid": ("无效按键 Invalid keys", "invalid"),
    "silence": ("未按键 Silent round", "silence"),
    "silence-hangup": ("未按键挂断 Ended after silent rounds", "silence"),
    "hangup": ("挂断 Flow hung up", "flow"),
    "route": ("路由 Routed to centre", "queue"),
    "enqueue": ("进入排队 Joined the queue", "queue"),
    "queue-wait": ("排队等待 Waiting in the queue", "queue"),
    "queue-timeout": ("排队超时 Queue wait too long", "queue"),
    "queue-lost": ("离开排队 Left the queue", "queue"),
    "queue-overflow": ("溢出 Overflowed", "queue"),
    "queue-left": ("离开排队 Left the queue", "queue"),
    "agent-claimed": ("座席接起 An agent was found", "agent"),
    "agent-dial": ("呼叫座席 Offered to an agent", "agent"),
    "agent-answered": ("座席接听 Agent answered", "agent"),
    "agent-missed": ("座席未接 Agent did not answer", "agent"),
    "dial": ("转接 Transferred", "agent"),
    "connect-result": ("转接结果 Transfer ended", "agent"),
    "status": ("通话状态 Call status", "status"),
    "end": ("通话结束 Call ended", "status"),
    "recording": ("录音 Recording stored", "recording"),
    "fallback": ("故障应答 Fallback answered", "invalid"),
    "voicemail-empty": ("空留言 Nothing recorded", "recording"),
    "voicemail-retry": ("重新录音 Recording again", "recording"),
    "voicemail-kept": ("保存留言 Message kept", "recording"),
    "voicemail-discarded": ("放弃留言 Message discarded", "recording"),
    "complaint-opened": ("登记工单 Ticket opened", "agent"),
    "complaint-empty": ("投诉未录音 Nothing recorded", "recording"),
    "complaint-no-desk": ("值班班长未接 Duty desk did not answer", "agent"),
    "complaint-message": ("投诉录音 Complaint recorded", "recording"),
    "fax-number": ("传真号码 Fax number keyed", "input"),
    "fax-reenter": ("重输传真号码 Keying the number again", "input"),
    "fax-requested": ("申请传真 Fax requested", "input"),
    "fax-failed": ("传真失败 Fax entry failed", "invalid"),
    "account-number": ("个人编号 Personal number keyed", "input"),
    "account-lookup": ("查询账户 Account looked up", "input"),
    "account-unavailable": ("查询不可用 Lookup unavailable", "invalid"),
    "account-failed": ("查询失败 Too many wrong entries", "invalid"),
}
SPEECH = "speech"  # speech outcomes (speech, speech-…): phrase, confidence; shown as they are


def is_speech(kind: str) -> bool:
    return kind == SPEECH or kind.startswith(SPEECH + "-")


# Detail keys, named as the staff UI names them; others keep their own name.
DETAIL_NAMES = {
    "agent": "座席 Agent",
    "centre": "中心 Centre",
    "position": "排队位置 Position",
    "waited": "已等待 Waited",
    "wait": "等待 Wait",
    "talk": "通话 Talk",
    "result": "结果 Result",
    "outcome": "结果 Outcome",
    "duration": "时长 Length",
    "target": "去向 To",
    "status": "状态 Status",
    "queue": "队列 Queue",
    "tries": "次数 Round",
    "open": "工作时间 Open",
    "document": "文件 Document",
    "title": "文件 Title",
    "number": "号码 Number",
    "reason": "原因 Reason",
    "phrase": "识别内容 Phrase",
    "confidence": "置信度 Confidence",
}
SECONDS = frozenset({"waited", "wait", "talk", "talk_seconds", "seconds", "duration"})
_LONG_NUMBER = re.compile(r"\+?\d[\d-]{5,}\d")  # seven digits or more: a phone or fax number
_DIGITS = re.compile(r"\d{4,}")  # at a sensitive node, no run of digits is shown
HIDDEN = "***"


@dataclass(frozen=True)
class RecordingRef:
    """A stored recording of the call: which kind, its row, and whether it can be played."""

    kind: str  # the registered recording kind ("voicemail", "agent-call")
    id: int
    created_at: datetime
    duration: float | None
    playable: bool
    agent_id: int | None = None


@dataclass(frozen=True)
class Rows:
    """What the database holds about one call (:func:`load`)."""

    call: Call
    events: Sequence[CallEvent]
    recordings: Sequence[RecordingRef] = ()
    tickets: Sequence[Ticket] = ()
    faxes: Sequence[FaxRequest] = ()
    agents: Mapping[int, str] = field(default_factory=dict)  # agent id -> "1001 王芳"


@dataclass(frozen=True)
class Step:
    at: datetime
    seconds: float  # since the call began
    kind: str
    label: str
    group: str
    node: str
    node_type: str
    keys: str
    details: tuple[tuple[str, str], ...]
    audio: str = ""  # the caller's kept speech (flows/speech.yaml store_audio), its stored path


@dataclass(frozen=True)
class Summary:
    options: tuple[str, ...]  # "main_menu → 0", in order
    invalid: int
    silent: int
    positions: tuple[int, ...]  # places in line announced
    longest_wait: int | None  # seconds
    talk: int | None  # seconds from the offer to the agent to the end of their call
    agents: tuple[str, ...]
    speech: tuple[str, ...]  # "speech-…: phrase (confidence)"


@dataclass(frozen=True)
class Trace:
    rows: Rows
    steps: tuple[Step, ...]
    summary: Summary


def mask_keys(keys: str) -> str:
    """``043188881234`` → ``0431******34``: a number's area code (or first three) and last two."""
    digits = keys.replace("-", "")
    head = 4 if digits.startswith("0") and digits[1:2] not in ("1", "2") else 3
    if len(digits) <= head + 2:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:head] + "*" * (len(digits) - head - 2) + digits[-2:]


def _masked(text: str) -> str:
    return _LONG_NUMBER.sub(lambda m: mask_keys(m.group(0)), text)


def _value(name: str, value: Any, agents: Mapping[int, str]) -> str:
    if name == "agent" and isinstance(value, int) and not isinstance(value, bool):
        return agents.get(value, f"#{value}")
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if name in SECONDS and isinstance(value, int | float):
        return f"{value:g} s"
    if isinstance(value, dict | list):
        return _masked(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return _masked(str(value))


def _step(
    event: CallEvent,
    start: datetime,
    sensitive: bool,
    node_types: Mapping[str, str],
    agents: Mapping[int, str],
) -> Step:
    label, group = KINDS.get(event.kind, (event.kind, "other"))
    if is_speech(event.kind):
        outcome = event.kind.removeprefix(SPEECH).removeprefix("-") or "heard"
        label, group = f"语音识别 Speech: {outcome}", "speech"
    keys = event.digits or ""
    details = tuple(
        (
            DETAIL_NAMES.get(name, name),
            HIDDEN if sensitive and _DIGITS.search(str(value)) else _value(name, value, agents),
        )
        for name, value in sorted((event.detail or {}).items())
        if value != "" and name != "audio"
    )
    audio = (event.detail or {}).get("audio") if is_speech(event.kind) else None
    return Step(
        at=event.created_at,
        seconds=max((event.created_at - start).total_seconds(), 0.0),
        kind=event.kind,
        label=label,
        group=group,
        node=event.node,
        node_type=node_types.get(event.node, ""),
        keys=(HIDDEN if keys else "") if sensitive else _masked(keys),
        details=details,
        audio=audio if isinstance(audio, str) else "",
    )


def _summary(rows: Rows, steps: Sequence[Step]) -> Summary:
    options, positions, speech = [], [], []
    waits: list[int] = []
    agent_ids: dict[int, None] = {}
    offered: datetime | None = None
    talk: int | None = None
    for event, step in zip(rows.events, steps, strict=True):
        detail = event.detail or {}
        if event.kind == "agent-dial":
            offered = event.created_at
        elif event.kind == "agent-answered" and offered is not None:
            talk = (talk or 0) + int((event.created_at - offered).total_seconds())
            offered = None
        if event.kind == "option":
            options.append(f"{event.node} → {step.keys}")
        if isinstance(detail.get("position"), int):
            positions.append(detail["position"])
        for name in ("waited", "wait"):
            if isinstance(detail.get(name), int | float) and not isinstance(detail[name], bool):
                waits.append(int(detail[name]))
        agent = detail.get("agent")
        if isinstance(agent, int) and not isinstance(agent, bool):
            agent_ids[agent] = None
        if is_speech(event.kind):
            speech.append(
                f"{step.label}: " + ", ".join(f"{name} {value}" for name, value in step.details)
            )
    for recording in rows.recordings:
        if recording.agent_id is not None:
            agent_ids[recording.agent_id] = None
    return Summary(
        options=tuple(options),
        invalid=sum(1 for e in rows.events if e.kind == "invalid"),
        silent=sum(1 for e in rows.events if e.kind in ("silence", "silence-hangup")),
        positions=tuple(positions),
        longest_wait=max(waits) if waits else None,
        talk=talk,
        agents=tuple(rows.agents.get(a, f"#{a}") for a in agent_ids),
        speech=tuple(speech),
    )


def timeline(
    rows: Rows, sensitive_nodes: Iterable[str], node_types: Mapping[str, str] | None = None
) -> Trace:
    """The call's steps in time order, masked, with a summary. ``sensitive_nodes``: the
    flow's nodes whose keys are never shown; ``node_types``: node id -> its type."""
    sensitive = frozenset(sensitive_nodes)
    types = node_types or {}
    start = rows.call.started_at
    if rows.events:
        start = min(start, rows.events[0].created_at)
    steps = tuple(
        _step(event, start, event.node in sensitive, types, rows.agents) for event in rows.events
    )
    return Trace(rows=rows, steps=steps, summary=_summary(rows, steps))


# --- reading the rows ------------------------------------------------------------


def _of_call(model: Any, call: Call) -> Any:
    return or_(model.call_id == call.id, model.call_sid == call.sid)


def agent_ids_in(events: Iterable[CallEvent]) -> set[int]:
    """The agents a call's events name (offered, claimed, dialled, answered...)."""
    found = set()
    for event in events:
        agent = (event.detail or {}).get("agent")
        if isinstance(agent, int) and not isinstance(agent, bool):
            found.add(agent)
    return found


def agent_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Agent id -> "1001 王芳" (agent number and name)."""
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(Agent).options(selectinload(Agent.user)).where(Agent.id.in_(wanted))
    return {
        agent.id: f"{agent.agent_number} {agent.user.display_name or agent.user.username}"
        for agent in session.scalars(query)
    }


def load(session: Session, call: Call, recording_kinds: Mapping[str, Any]) -> Rows:
    """The call's events and what they left: recordings of every registered kind
    (``recording_kinds``: kind -> its model), tickets and fax requests."""
    events = list(
        session.scalars(
            select(CallEvent)
            .where(CallEvent.call_id == call.id)
            .order_by(CallEvent.created_at, CallEvent.id)
        )
    )
    found: list[tuple[str, Any]] = []
    for kind, model in recording_kinds.items():
        query = select(model).where(_of_call(model, call)).order_by(model.id)
        found += [(kind, row) for row in session.scalars(query)]
    ids = agent_ids_in(events) | {
        row.agent_id for _, row in found if isinstance(getattr(row, "agent_id", None), int)
    }
    agents = agent_names(session, ids)
    recordings = sorted(
        (
            RecordingRef(
                kind=kind,
                id=row.id,
                created_at=row.created_at,
                duration=row.duration,
                playable=row.download_status == "downloaded" and bool(row.audio_path),
                agent_id=getattr(row, "agent_id", None),
            )
            for kind, row in found
        ),
        key=lambda r: (r.created_at, r.kind, r.id),
    )
    tickets = list(
        session.scalars(select(Ticket).where(_of_call(Ticket, call)).order_by(Ticket.id))
    )
    faxes = list(
        session.scalars(
            select(FaxRequest).where(_of_call(FaxRequest, call)).order_by(FaxRequest.id)
        )
    )
    return Rows(call, events, recordings, tickets, faxes, agents)
