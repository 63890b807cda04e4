"""``ivr analytics demo``: a month of calls walked through the real flow, in this process.

Every call is placed by the simulated phone (:class:`ivr.simulator.Phone`, signed as
Twilio or Somleng would sign it) against the app's own webhooks through a Flask test
client, so calls, call events, tickets, faxes, voicemails and agents' claims are what
the server itself records. The clock is moved by time-machine over the last
``DAYS`` days in the centre's time zone, and calls overlap as real ones do
(:mod:`ivr.analytics.timeline`): agents stay busy while others arrive, wait in the
queue, give up or overflow.

Only what needs the outside world is stood in for, as the tests do: a dialled agent's
or desk's answer is the phone's dial status, and a caller's message is a WAV served by
the simulator's media host on 127.0.0.1, downloaded by the real download task before
the host closes.

The traffic is seeded and planned per call: busy hours 9-11 and 14-16 on working
days, fewer callers at lunch, some at night (the reduced menu), a surge on the first
working day of each week. Each call has a deterministic CallSid, so a second run with
the same ``--calls`` adds nothing.
"""

from __future__ import annotations

import hashlib
import math
import random
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ivr import db
from ivr.accounts.models import PersonalAccount
from ivr.agents.models import Agent
from ivr.agents.presence import presence
from ivr.analytics.timeline import Timeline
from ivr.calls.models import Call
from ivr.flows.hours import Schedule
from ivr.simulator import CallRecord, Phone, Step, TwilioQueues, flask_transport
from ivr.simulator.media_host import MediaHost

DAYS = 30
CALLS = 3000
SEED = 12333
QUEUE_ROUND = 15  # seconds: Twilio requests the wait URL about this often
HOLD_MUSIC = 8.0  # seconds: flows/audio/hold_music.wav, a round of holding on Somleng

# Callers by area code (the city centre their number routes to).
AREAS = {
    "0431": 45,
    "0432": 18,
    "0433": 8,
    "0434": 6,
    "0435": 5,
    "0436": 4,
    "0437": 4,
    "0438": 5,
    "0439": 5,
}
# Relative traffic by centre-local hour on a working day: busy 9-11 and 14-16, lunch dip.
WORKDAY_HOURS = (0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.15, 0.4, 1.4, 2.6, 2.8, 1.9) + (
    0.9,
    1.2,
    2.3,
    2.5,
    2.0,
    0.8,
    0.45,
    0.4,
    0.3,
    0.22,
    0.14,
    0.08,
)
OFF_DAY_HOURS = (0.03, 0.02, 0.02, 0.02, 0.02, 0.04, 0.08, 0.2, 0.45, 0.6, 0.65, 0.55) + (
    0.4,
    0.4,
    0.5,
    0.5,
    0.45,
    0.35,
    0.3,
    0.3,
    0.25,
    0.18,
    0.1,
    0.05,
)
WEEKDAY = (1.45, 1.1, 1.0, 1.0, 0.95, 0.3, 0.22)  # Monday's surge .. Sunday
SURGE = 2.6  # two working days of the month (a policy announced) have this much more traffic
# Agents on duty during the walk: each centre's first agent in staffed hours; its second
# only in these centre-local hours of working days (the others are paused meanwhile).
SECOND_SHIFTS = {"0431": ((9, 0), (11, 30)), "provincial": ((9, 30), (11, 0))}
# First choices at the main menu in staffed hours, and at the reduced menu outside them.
OPEN_CHOICES = {"1": 24, "2": 4, "3": 5, "4": 6, "5": 4, "9": 5, "0": 44, "hangup": 4, "7": 2}
CLOSED_CHOICES = {"1": 48, "2": 10, "3": 8, "4": 14, "0": 9, "hangup": 11}
FAX_NUMBERS = ("043188881234", "043185551020", "043262345678", "88776655")
WALK_ACCOUNTS = (  # personal numbers the demo's callers look up, password WALK_PASSWORD
    ("220102198506061357", "赵敏"),
    ("220203197911112468", "钱进"),
    ("220104199003030246", "孙悦"),
    ("220105196808081359", "李国强"),
)
WALK_PASSWORD = "135790"  # noqa: S105 - demo accounts, published in the README
MESSAGE_TEXT = (
    "您好，我想咨询一下失业保险金怎么申领，麻烦回个电话，谢谢。",
    "我的社保卡密码忘了，请问怎么重置？请回电。",
    "单位一直没给我交养老保险，我想反映一下，请联系我。",
)


@dataclass(frozen=True)
class PlannedCall:
    index: int
    sid: str
    at: datetime  # when the phone rings (UTC)
    caller: str
    called: str
    staffed: bool  # agents are on duty (the main menu), else the reduced menu
    seed: int


@dataclass
class Summary:
    planned: int = 0
    walked: int = 0
    existed: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    first: datetime | None = None
    last: datetime | None = None
    ended: Counter[str] = field(default_factory=Counter)
    recordings: int = 0

    def lines(self, zone: ZoneInfo) -> list[str]:
        if not self.walked:
            return [
                f"demo traffic: {self.existed} of {self.planned} calls exist already; nothing added"
            ]
        span = ""
        if self.first and self.last:
            span = f" from {self.first.astimezone(zone):%Y-%m-%d} to {self.last.astimezone(zone):%Y-%m-%d}"
        rate = self.walked / self.seconds if self.seconds else 0.0
        lines = [
            f"demo traffic: {self.walked} calls walked through the flow{span} "
            f"in {self.seconds:.0f} s ({rate:.0f} calls/s); {self.existed} existed already",
            "  how they ended: "
            + ", ".join(f"{reason} {count}" for reason, count in self.ended.most_common()),
        ]
        if self.recordings:
            lines.append(f"  messages left and downloaded: {self.recordings}")
        if self.failed:
            lines.append(f"  {len(self.failed)} calls failed; the first: {self.failed[0]}")
        return lines


# --------------------------------------------------------------------------- the plan


def plan(
    count: int,
    end: date,
    zone: ZoneInfo,
    schedule: Schedule,
    *,
    telephony: str = "twilio",
    seed: int = SEED,
    days: int = DAYS,
) -> list[PlannedCall]:
    """``count`` calls over the ``days`` days before ``end`` (centre-local), in time order."""
    rng = random.Random(seed)  # noqa: S311 - demo data
    cells: list[tuple[date, int]] = []
    weights: list[float] = []
    working = workdays(end, days, zone, schedule)
    surges = set(rng.sample(working, min(2, len(working))))
    for offset in range(days, 0, -1):
        day = end - timedelta(days=offset)
        hours = WORKDAY_HOURS if day in working else OFF_DAY_HOURS
        factor = WEEKDAY[day.weekday()] * (SURGE if day in surges else 1.0)
        for hour, weight in enumerate(hours):
            cells.append((day, hour))
            weights.append(weight * factor)
    areas, area_weights = list(AREAS), list(AREAS.values())
    moments = []
    for day, hour in rng.choices(cells, weights, k=count):
        local = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        moments.append(local + timedelta(seconds=rng.uniform(0, 3600)))
    calls = []
    for index, moment in enumerate(sorted(moments)):
        area = rng.choices(areas, area_weights)[0]
        if rng.random() < 0.35:  # a mobile of the city's block (flows/mobile_blocks.csv)
            caller = f"+86139{area[1:]}{rng.randrange(10**4):04d}"
        else:
            caller = f"+86{area[1:]}{rng.randrange(8 * 10**7, 9 * 10**7)}"
        called = "+8643112334" if rng.random() < 0.06 else "+8643112333"
        calls.append(
            PlannedCall(
                index=index,
                sid=call_sid(seed, index, telephony),
                at=moment.astimezone(UTC),
                caller=caller,
                called=called,
                staffed=schedule.is_open(moment, zone),
                seed=rng.randrange(2**32),
            )
        )
    return calls


def workdays(end: date, days: int, zone: ZoneInfo, schedule: Schedule) -> list[date]:
    """The staffed days among the ``days`` before ``end``."""
    found = []
    for offset in range(days, 0, -1):
        day = end - timedelta(days=offset)
        if schedule.is_open(datetime(day.year, day.month, day.day, 10, tzinfo=zone), zone):
            found.append(day)
    return found


def call_sid(seed: int, index: int, telephony: str) -> str:
    digest = hashlib.sha256(f"analytics-demo:{seed}:{index}".encode()).digest()
    if telephony == "somleng":
        return str(uuid.UUID(bytes=digest[:16], version=4))
    return "CA" + digest[:16].hex()


# --------------------------------------------------------------------------- a caller


def _pick(rng: random.Random, choices: dict[str, int]) -> str:
    return rng.choices(list(choices), list(choices.values()))[0]


class Caller:
    """What one caller does at each prompt (the phone's ``ask``), and how long it takes."""

    def __init__(self, call: PlannedCall, timeline: Timeline, agent_phones: frozenset[str]):
        self.call = call
        self.rng = random.Random(call.seed)  # noqa: S311 - demo data
        self.timeline = timeline
        self.agent_phones = agent_phones
        self.choices = 0
        self.presses = 0
        self.visits: Counter[str] = Counter()
        self.gather_timeout = 6.0
        self.in_queue = False
        self.patience = self.rng.expovariate(1 / 150)  # seconds in the queue before hanging up
        if self.rng.random() < 0.12:
            self.patience += 200  # waits past max_wait: overflows
        self.account = self.rng.choice(WALK_ACCOUNTS)[0]
        self.phone: Phone | None = None

    # --- the phone's hooks ----------------------------------------------------------
    def ask(self, step: Step) -> str | None:
        self.gather_timeout = float(step.attrs.get("timeout", "6") or 6)
        node = urlsplit(step.attrs.get("action", "")).path.rsplit("/", 1)[-1]
        self.visits[node] += 1
        self.presses += 1
        if self.presses > 14:
            return None
        roll = self.rng.random()
        if self.presses > 1 and roll < 0.02:
            return None  # gives up in the menus
        if self.presses > 1 and roll < 0.035:
            return "-"  # says nothing: the prompt times out
        return self._key(node)

    def on_step(self, step: Step) -> None:
        if step.verb == "enqueue":
            self.in_queue = True
        elif step.verb in ("leave", "dial"):
            self.in_queue = False
        if step.verb == "say" and not (self.in_queue and not self._somleng):
            self.timeline.sleep(1.0 + len(step.text) / 4.5)  # a prompt being spoken
        elif step.verb == "press":
            self.timeline.sleep(self.rng.uniform(1.0, 3.0) + 0.4 * len(step.text))
        elif step.verb == "silence":
            self.timeline.sleep(self.gather_timeout)
        elif step.verb == "record":
            self.timeline.sleep(self.rng.uniform(12, 40))  # the caller speaks a message

    def on_dial(self, record: CallRecord, step: Step) -> None:
        assert self.phone is not None
        rng = self.rng
        if step.text in self.agent_phones:
            answered = rng.random() < 0.94
            talk = rng.lognormvariate(math.log(240), 0.5)
        elif step.text.startswith("+864311230"):  # the complaint desk
            answered = rng.random() < 0.6
            talk = rng.lognormvariate(math.log(360), 0.4)
        else:  # another centre's hotline
            answered = rng.random() < 0.9
            talk = rng.lognormvariate(math.log(150), 0.6)
        status = "completed" if answered else rng.choice(("no-answer", "no-answer", "busy"))
        self.phone.dial_statuses = [status]
        ring = rng.uniform(3, 12) if answered else float(step.attrs.get("timeout", "20") or 20)
        self.timeline.sleep(ring + (talk if answered else 0.0))

    def between_rounds(self, phone: Phone, record: CallRecord, round_number: int) -> None:
        self.timeline.sleep(QUEUE_ROUND)

    def on_redirect(self, phone: Phone, record: CallRecord, count: int) -> None:
        """On Somleng, holding is a loop of Redirects to the agent node: patience runs out."""
        redirected_to = urlsplit(record.steps[-1].text).path
        if phone.hang_up_after is None and redirected_to.endswith("/voice/input/agent"):
            phone.hang_up_after = record.seconds + self.patience

    # --- choices ----------------------------------------------------------------------
    @property
    def _somleng(self) -> bool:
        return bool(self.phone and self.phone.somleng)

    def _key(self, node: str) -> str | None:
        rng = self.rng
        if node in ("main_menu", "reduced_menu"):
            return self._menu_choice(node)
        if node == "info_menu":
            return rng.choices("12345678", (30, 22, 10, 7, 5, 9, 8, 9))[0]
        if node.startswith("topic_"):
            return _pick(rng, {"2": 70, "1": 8, "*": 4, "hangup": 18}).replace("hangup", "") or None
        if node == "continue":
            if self.choices < 2 and rng.random() < 0.15:
                return "1"
            return "2" if rng.random() < 0.93 else None
        if node == "voicemail" or node == "complaints":
            return "1" if rng.random() < 0.9 or self.visits[node] > 1 else "2"
        if node == "fax":
            return self._fax_key()
        if node == "account":
            return self._account_key()
        if node == "other_region":
            if rng.random() < 0.06 and self.visits[node] == 1:
                return "0999#"  # no such centre: asked again
            own = "0" + self.call.caller[3:6]
            return rng.choice([a for a in AREAS if a != own]) + "#"
        if node == "agent":  # Changchun callers: 1 the provincial centre, 2 the city's
            return "1" if rng.random() < 0.3 else "2"
        if node == "agent_overflow":
            return _pick(rng, {"1": 55, "2": 20, "hangup": 25}).replace("hangup", "") or None
        return None

    def _menu_choice(self, node: str) -> str | None:
        rng = self.rng
        if self.visits[node] == 1 and self.choices == 0:
            roll = rng.random()
            if roll < 0.05:
                return "-"
            if roll < 0.09:
                return rng.choice("678*")  # not an option: "选择错误，请重新输入"
        if self.choices >= 2 or (self.visits[node] > 2 and self.choices == 0):
            return None
        table = OPEN_CHOICES if node == "main_menu" else CLOSED_CHOICES
        choice = _pick(rng, table)
        if self.choices and choice in ("0", "7"):
            choice = "1"
        if self.visits[node] > 1 and choice == "0" and node == "reduced_menu":
            return None  # pressed 0 at night, heard it is not an option, gives up
        self.choices += 1
        return None if choice == "hangup" else choice

    def _fax_key(self) -> str:
        step = self.visits["fax"]
        if step == 1:
            return str(self.rng.choice((1, 1, 2, 2, 3, 4, 5)))
        if step == 2:
            return self.rng.choice(FAX_NUMBERS) + "#"
        return "1" if step == 3 or self.rng.random() < 0.9 else "2"

    def _account_key(self) -> str:
        step = self.visits["account"]
        if step % 2 == 1:
            return self.account + "#"
        wrong = step == 2 and self.rng.random() < 0.15
        return "246802" if wrong else WALK_PASSWORD


# --------------------------------------------------------------------------- the walk


def existing_sids(sids: list[str]) -> set[str]:
    session = db.session()
    found: set[str] = set()
    for start in range(0, len(sids), 500):
        chunk = sids[start : start + 500]
        found.update(session.scalars(select(Call.sid).where(Call.sid.in_(chunk))))
    return found


def ensure_walk_accounts() -> None:
    """The accounts the demo's callers look up (option 4), with a password they know."""
    session = db.session()
    for number, name in WALK_ACCOUNTS:
        if session.scalar(
            select(PersonalAccount.id).where(PersonalAccount.personal_number == number)
        ):
            continue
        account = PersonalAccount(
            personal_number=number,
            name=name,
            pension_balance_fen=random.Random(number).randrange(10**5, 10**7),  # noqa: S311
            months_contributed=random.Random(number).randrange(12, 300),  # noqa: S311
            medical_balance_fen=random.Random(number[::-1]).randrange(10**4, 10**6),  # noqa: S311
        )
        # Its password is published (README): a cheap hash keeps 200 lookups from taking a minute.
        account.password_hash = generate_password_hash(WALK_PASSWORD, method="pbkdf2:sha256:1000")
        session.add(account)
    session.commit()


def walk(
    app: Flask,
    count: int = CALLS,
    *,
    seed: int = SEED,
    days: int = DAYS,
    end: date | None = None,
    echo: Callable[[str], None] = print,
) -> Summary:
    """Walk the planned calls that do not exist yet; call inside an app context."""
    import time_machine

    settings = app.config["SETTINGS"]
    zone = settings.timezone
    schedule = app.extensions["ivr.flows"].schedules["centre"]
    end = end or datetime.now(zone).date()
    calls = plan(count, end, zone, schedule, telephony=settings.telephony, seed=seed, days=days)
    summary = Summary(planned=len(calls))
    done = existing_sids([c.sid for c in calls])
    todo = [c for c in calls if c.sid not in done]
    summary.existed = len(calls) - len(todo)
    if not todo:
        return summary
    ensure_walk_accounts()
    agents = list(db.session().scalars(select(Agent).order_by(Agent.centre, Agent.agent_number)))
    agent_phones = frozenset(a.phone for a in agents)
    db.session().commit()  # no transaction held open while the calls write

    started = time.perf_counter()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        hosts = [_media_host(folder, n, text, stack) for n, text in enumerate(MESSAGE_TEXT)]
        traveller = time_machine.travel(todo[0].at, tick=False)
        coordinates = traveller.start()
        stack.callback(traveller.stop)
        timeline = Timeline(todo[0].at, coordinates.move_to)
        stack.callback(_rota(app, timeline, agents, workdays(end, days, zone, schedule), zone))
        queues = TwilioQueues()
        records: dict[str, CallRecord] = {}
        for planned in todo:
            timeline.spawn(
                planned.at,
                planned.sid,
                _call_runner(
                    app, settings, planned, timeline, queues, hosts, agent_phones, records
                ),
            )
        timeline.run_all(_progress(zone, records, len(todo), echo))
        summary.recordings = _download_messages(app, hosts)
    summary.seconds = time.perf_counter() - started
    summary.walked = len(todo) - len(timeline.errors)
    summary.failed = [f"{sid}: {type(exc).__name__}: {exc}" for sid, exc in timeline.errors]
    summary.first, summary.last = todo[0].at, todo[-1].at
    summary.ended = Counter(r.ended_by or "unknown" for r in records.values())
    _flush_journal()
    return summary


def _rota(
    app: Flask, timeline: Timeline, agents: list[Agent], days: list[date], zone: ZoneInfo
) -> Callable[[], None]:
    """Put the available agents on the demo's duty rota; returns what restores them."""
    states = presence().states(agents)
    on_duty = [a for a in agents if states[a.id].status == "available"]
    firsts = {a.centre: a for a in reversed(on_duty)}
    seconds = [a for a in on_duty if firsts[a.centre] is not a]

    def set_status(agent: Agent, status: str) -> Callable[[], None]:
        def run() -> None:
            with app.app_context():
                presence().set_status(agent, status)
                db.session().commit()

        return run

    for agent in seconds:
        presence().set_status(agent, "paused", force=True)
        shift = SECOND_SHIFTS.get(agent.centre)
        for day in days if shift else ():
            (h1, m1), (h2, m2) = shift  # type: ignore[misc]
            begin = datetime(day.year, day.month, day.day, h1, m1, tzinfo=zone)
            end = datetime(day.year, day.month, day.day, h2, m2, tzinfo=zone)
            timeline.spawn(begin.astimezone(UTC), "rota", set_status(agent, "available"))
            timeline.spawn(end.astimezone(UTC), "rota", set_status(agent, "paused"))
    db.session().commit()

    def restore() -> None:
        with app.app_context():
            for agent in seconds:
                presence().set_status(agent, "available", force=True)
            db.session().commit()

    return restore


def _progress(zone: ZoneInfo, records: dict[str, CallRecord], total: int, echo):
    """Say each simulated week once, with how many calls have started."""
    shown: list[int] = []

    def show(now: datetime) -> None:
        week = now.astimezone(zone).isocalendar().week
        if week not in shown:
            shown.append(week)
            echo(f"  {now.astimezone(zone):%Y-%m-%d}: {len(records)} of {total} calls walked")

    return show


def _call_runner(app, settings, planned, timeline, queues, hosts, agent_phones, records):
    def run() -> None:
        caller = Caller(planned, timeline, agent_phones)
        host = caller.rng.choice(hosts)
        somleng = settings.telephony == "somleng"
        phone = Phone(
            flask_transport(app.test_client(), settings.public_url),
            settings.public_url,
            settings.twilio_auth_token,
            caller=planned.caller,
            called=planned.called,
            account_sid=settings.twilio_account_sid or "AC" + "0" * 32,
            queues=queues,
            queue_rounds=max(1, math.ceil(caller.patience / QUEUE_ROUND)),
            queue_round_seconds=QUEUE_ROUND,
            play_seconds=HOLD_MUSIC if somleng else 0.0,
            sleep=timeline.sleep,
            on_step=caller.on_step,
            on_dial=caller.on_dial,
            on_redirect=caller.on_redirect,
            between_rounds=caller.between_rounds,
            ask=caller.ask,
            recorder=host.record,
            telephony=settings.telephony,
        )
        caller.phone = phone
        records[planned.sid] = phone.call((), sid=planned.sid)

    return run


def _media_host(folder: Path, number: int, text: str, stack: ExitStack) -> MediaHost:
    """A caller's message as the platform would store it: espeak-ng's speech, else tones."""
    from ivr.voicemail.demo import render_message

    path = folder / f"message-{number}.wav"
    render_message(text, path, shutil.which("espeak-ng"))
    host = MediaHost(path, "AC" + "0" * 32)
    stack.callback(host.close)
    return host


def _download_messages(app: Flask, hosts: list[MediaHost]) -> int:
    """Fetch the messages left during the walk now, while the media host still serves them
    (the queued download jobs then find them stored and do nothing)."""
    from ivr.recordings.jobs import download_recording
    from ivr.voicemail.models import Voicemail

    session = db.session()
    bases = tuple(h.base_url for h in hosts)
    pending = [
        v.id
        for v in session.scalars(select(Voicemail).where(Voicemail.download_status != "downloaded"))
        if v.media_url.startswith(bases)
    ]
    session.commit()
    for item_id in pending:
        download_recording("voicemail", item_id)
    return len(pending)


def _flush_journal() -> None:
    from ivr.calls import journal

    log = journal.journal()
    while log is not None and log.backlog():
        if not log.flush():
            break
