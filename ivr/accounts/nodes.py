"""The ``account`` node type (option 4): personal number, password, the account read out.

The agents' script is "请报您的个人编号（复述），核对姓名，请稍等": the caller keys
the personal number (read back as its last four digits), then the password;
the surname is read back for checking, then the balances. Between the two
entries the call state carries only the id of the number's lock row
(``PA<id>``, see :mod:`ivr.accounts.service`), which every number keyed
gets, known or not: the URLs, the prompts and the events of a call are the
same whether the number exists or not. Keys typed here are never stored or
logged (``sensitive_input``), and no event of this node carries them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from sqlalchemy.exc import SQLAlchemyError

from ivr import spoken
from ivr.accounts import service
from ivr.accounts.models import PersonalAccount
from ivr.accounts.surnames import pinyin
from ivr.flows.turn import Turn
from ivr.flows.types import CountedEntry

REF = re.compile(r"PA(\d{1,12})")
DESK = "accounts"  # the service (Turn.services): an AccountDesk on the request's session
log = logging.getLogger("ivr.accounts")


def _desk(turn: Turn) -> service.AccountDesk:
    return turn.services[DESK]


class AccountLookup(CountedEntry):
    name = "account"
    failed_event = "account-failed"
    placeholders = frozenset(
        {"number", "holder", "pension", "months", "last_month", "medical", "minutes"}
    )
    required = {
        "number_prompt": "prompt",  # key the personal number and #
        "password_prompt": "prompt",  # {number}: its last four digits, read back
        "invalid_prompt": "prompt",  # not a personal number at all
        "wrong_prompt": "prompt",  # number or password wrong (never says which)
        "locked_prompt": "prompt",  # {minutes} until phone lookup opens again
        "failed_prompt": "prompt",  # three wrong tries in this call
        "verified_prompt": "prompt",  # {number} {holder}: check the name, please wait
        "balance_prompt": "prompt",  # {pension} {months} {last_month} {medical}
        "after": "node",
    }
    takes_input = True
    sensitive_input = True
    trial_note = (
        "试拨输错密码不计次数，不会锁定查询。 "
        "A trial call's wrong passwords are not counted: it never locks a number's lookup."
    )
    TRIES = service.MAX_FAILURES

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        keyed = params.get("Digits", "").rstrip("#")
        if "*" in keyed:
            turn.event("back")
            return turn.back()
        try:
            if REF.fullmatch(turn.state.ref):
                return self._password(turn, int(REF.fullmatch(turn.state.ref).group(1)), keyed)
            return self._number(turn, keyed)
        except SQLAlchemyError:
            log.exception("account lookup failed: database error")
            _desk(turn).rollback()
            turn.event("account-unavailable")
            turn.say("service_unavailable")
            return turn.follow("after")

    # --- the two entries ----------------------------------------------------
    def _number(self, turn: Turn, keyed: str) -> str | None:
        if not service.PERSONAL_NUMBER.fullmatch(keyed):
            turn.event("invalid")
            turn.say(turn.node["invalid_prompt"])
            return self._retry(turn)
        lock_id = _desk(turn).open_lock(keyed)
        turn.event("account-number")
        turn.state = replace(turn.state, ref=f"PA{lock_id}")
        turn.gather(
            [(turn.node["password_prompt"], {"number": spoken.digits(keyed[-4:], turn.locale)})],
            num_digits=len("000000"),
            finish_on_key="#",
            timeout=10,
            keep_tries=True,
        )
        return None

    def _password(self, turn: Turn, lock_id: int, keyed: str) -> str | None:
        outcome = _desk(turn).check(lock_id, keyed, turn.now, count=not turn.trial)
        if outcome.status == "ok":
            turn.event("account-lookup", result="ok")
            self._speak_account(turn, outcome.account)
            return turn.follow("after")
        if outcome.status == "locked":
            turn.event("account-lookup", result="locked", just_locked=outcome.just_locked)
            minutes = spoken.minutes(outcome.minutes_left(turn.now), turn.locale)
            turn.say(turn.node["locked_prompt"], minutes=minutes)
            return turn.follow("after")
        turn.event("account-lookup", result="wrong")
        if turn.state.tries + 1 < self.TRIES:  # the last try ends with failed_prompt alone
            turn.say(turn.node["wrong_prompt"])  # "…请重新输入"
        turn.state = replace(turn.state, ref="")
        return self._retry(turn)

    def _speak_account(self, turn: Turn, account: PersonalAccount) -> None:
        locale = turn.locale
        turn.say(
            turn.node["verified_prompt"],
            number=spoken.digits(account.personal_number[-4:], locale),
            holder=holder(account, locale),
        )
        last = account.last_contribution
        turn.say(
            turn.node["balance_prompt"],
            pension=spoken.money(account.pension_balance_fen, locale),
            months=spoken.months(account.months_contributed, locale),
            last_month=spoken.month(last, locale) if last else ("无" if _zh(locale) else "none"),
            medical=spoken.money(account.medical_balance_fen, locale),
        )

    # --- moving on ------------------------------------------------------------
    def _ask(self, turn: Turn) -> None:
        turn.event("menu")
        if REF.fullmatch(turn.state.ref):  # silence at the password: ask for the number again
            turn.state = replace(turn.state, ref="")
        turn.gather(
            [(turn.node["number_prompt"], {})],
            num_digits=None,
            finish_on_key="#",
            timeout=10,
            keep_tries=True,
        )


def _zh(locale: str) -> bool:
    return spoken.is_chinese(locale)


def holder(account: PersonalAccount, locale: str) -> str:
    """How the account holder is named for checking: 参保人姓张 / the account holder, surname Zhang."""
    surname = account.surname
    if _zh(locale):
        return f"参保人姓{surname}" if surname else "参保人"
    latin = pinyin(surname)
    return f"the account holder, surname {latin}" if latin else "the account holder"
