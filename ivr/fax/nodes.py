"""The ``fax`` node type (option 3): pick a document, key the fax number, confirm.

Three stages, told apart by the call state's ``ref``: none (choose from the
catalogue), ``FX<key>`` (key the fax number and ``#``), ``FX<key>-<number>``
(hear it read back digit by digit; 1 confirms, 2 keys it again). On 1 the
node emits ``fax-requested``; the voice webhook's save() turns that into a
FaxRequest row and a delivery job (ivr.fax.service), once per request even
when Twilio retries.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ivr import spoken
from ivr.fax import numbers
from ivr.fax.catalogue import Catalogue, Document
from ivr.flows.turn import Turn
from ivr.flows.types import CountedEntry

REF = re.compile(r"FX(?P<key>\d{1,2})(?:-(?P<number>\d{7,12}))?")


CATALOGUE = "fax.catalogue"  # the service (Turn.services) holding fax.yaml's documents


def catalogue(turn: Turn) -> Catalogue:
    return turn.services[CATALOGUE]


class Fax(CountedEntry):
    name = "fax"
    failed_event = "fax-failed"
    placeholders = frozenset({"documents", "key", "title", "number"})
    required = {
        "prompt": "prompt",  # the catalogue: {documents}
        "item_prompt": "prompt",  # one document: {title} {key}
        "number_prompt": "prompt",  # {title} chosen; key the fax number and #
        "invalid_number_prompt": "prompt",
        "mobile_prompt": "prompt",  # a mobile number takes no fax
        "confirm_prompt": "prompt",  # {number} read back; 1 confirm, 2 again
        "accepted_prompt": "prompt",  # {title} will be faxed
        "failed_prompt": "prompt",  # three wrong entries in a row
        "after": "node",
    }
    takes_input = True
    TRIES = 3
    trial_note = "试拨不发送传真。 A trial call sends no fax: no request is queued."

    def handle(self, turn: Turn, params: dict[str, str]) -> str | None:
        keyed = params.get("Digits", "").rstrip("#")
        match = REF.fullmatch(turn.state.ref)
        document = catalogue(turn).get(match["key"]) if match else None
        if document is None:
            return self._choose(turn, keyed)
        if match["number"] is None:
            return self._number(turn, document, keyed)
        return self._confirm(turn, document, match["number"], keyed)

    # --- the three stages -------------------------------------------------------
    def _choose(self, turn: Turn, keyed: str) -> str | None:
        if "*" in keyed:
            turn.event("back", keyed)
            return turn.back()
        document = catalogue(turn).get(keyed)
        if document is None:
            turn.event("invalid", keyed)
            turn.say("invalid_choice")
            return self._retry(turn)
        turn.event("option", keyed, document=document.key)
        turn.state = replace(turn.state, ref=f"FX{document.key}", tries=0)
        self._ask(turn)
        return None

    def _number(self, turn: Turn, document: Document, keyed: str) -> str | None:
        if "*" in keyed:  # one level up: the catalogue
            turn.event("back", keyed)
            turn.state = replace(turn.state, ref="", tries=0)
            self._ask(turn)
            return None
        verdict = numbers.check(keyed)
        if verdict != "ok":
            turn.event("invalid", keyed, reason=verdict)
            prompt = "mobile_prompt" if verdict == "mobile" else "invalid_number_prompt"
            turn.say(turn.node[prompt])
            return self._retry(turn)
        turn.event("fax-number", keyed)
        turn.state = replace(turn.state, ref=f"FX{document.key}-{keyed}", tries=0)
        self._ask(turn)
        return None

    def _confirm(self, turn: Turn, document: Document, number: str, keyed: str) -> str | None:
        if keyed == "1":
            area = turn.bundle.directory.for_caller(turn.caller).code
            turn.event(
                "fax-requested",
                keyed,
                document=document.key,
                title=document.title(turn.locale),
                number=numbers.with_area_code(number, area),
            )
            turn.say(turn.node["accepted_prompt"], title=document.title(turn.locale))
            return turn.follow("after")
        if keyed in ("2", "*"):  # key the number again
            turn.event("fax-reenter", keyed)
            turn.state = replace(turn.state, ref=f"FX{document.key}", tries=0)
            self._ask(turn)
            return None
        turn.event("invalid", keyed)
        turn.say("invalid_choice")
        return self._retry(turn)

    # --- asking ------------------------------------------------------------------
    def _ask(self, turn: Turn) -> None:
        turn.event("menu")
        match = REF.fullmatch(turn.state.ref)
        document = catalogue(turn).get(match["key"]) if match else None
        if document is None:
            turn.state = replace(turn.state, ref="")
            self._ask_document(turn)
        elif match["number"] is None:
            turn.gather(
                [(turn.node["number_prompt"], {"title": document.title(turn.locale)})],
                num_digits=None,
                finish_on_key="#",
                timeout=10,
                keep_tries=True,
            )
        else:
            number = spoken.digits(match["number"], turn.locale)
            turn.gather([(turn.node["confirm_prompt"], {"number": number})], keep_tries=True)

    def _ask_document(self, turn: Turn) -> None:
        items = catalogue(turn).documents.values()
        listing = [
            turn.bundle.prompts.text(
                turn.locale,
                turn.node["item_prompt"],
                {"key": doc.key, "title": doc.title(turn.locale)},
            )
            for doc in items
        ]
        separator = "，" if spoken.is_chinese(turn.locale) else ". "
        key_digits = catalogue(turn).key_digits
        turn.gather(
            [(turn.node["prompt"], {"documents": separator.join(listing)})],
            num_digits=key_digits,
            finish_on_key="" if key_digits else "#",
            timeout=8,
            keep_tries=True,
        )
