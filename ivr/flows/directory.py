"""Centres of the province: option 9's area codes and option 0's routing by caller."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.flows.yamlfile import FlowFileError, Located

AREA_CODE = re.compile(r"^0\d{2,3}$")


@dataclass(frozen=True)
class Centre:
    code: str  # area code with its leading 0, or "provincial"
    names: dict[str, str] = field(hash=False)
    number: str = ""
    agents: dict[str, str] = field(default_factory=dict, hash=False)
    ask_provincial: bool = False

    def name(self, locale: str) -> str:
        return self.names.get(locale) or next(iter(self.names.values()))


@dataclass(frozen=True)
class Directory:
    provincial: Centre
    centres: dict[str, Centre]
    provincial_code: str
    mobile_blocks: dict[str, str]

    def by_code(self, keyed: str) -> Centre | None:
        """The centre option 9 dials for the digits a caller keyed (with or without the 0).

        None for an unknown code and for a centre with no number to dial (the
        one this hotline is, whose number would call the hotline itself).
        """
        if keyed == self.provincial_code:
            centre: Centre | None = self.provincial
        else:
            centre = self.centres.get(keyed if keyed.startswith("0") else "0" + keyed)
        return centre if centre is not None and centre.number else None

    def for_caller(self, number: str) -> Centre:
        """The caller's own centre, from a landline area code or a mobile block."""
        national = national_number(number)
        if len(national) == 11 and national.startswith("1"):
            code = self.mobile_blocks.get(national[:7])
            return self.centres.get(code or "", self.provincial)
        for code in sorted(self.centres, key=len, reverse=True):
            if national.startswith(code[1:]):
                return self.centres[code]
        return self.provincial


def national_number(number: str) -> str:
    """``+8643188881234`` or ``043188881234`` -> ``43188881234``."""
    digits = re.sub(r"[^\d+]", "", number or "")
    if digits.startswith("+86"):
        return digits[3:]
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("+"):
        return ""  # a foreign number belongs to no centre of ours
    return digits[1:] if digits.startswith("0") else digits


def _centre(code: str, spec: object, where: Located, key: str, own: set[str]) -> Centre:
    if not isinstance(spec, Located):
        raise where.error(f"centre {key!r}: expected a mapping", key)
    unknown = set(spec) - {"name", "number", "agents", "ask_provincial"}
    if unknown:
        bad = sorted(unknown)[0]
        raise spec.error(f"unknown key {bad!r}", bad)
    names = spec.get("name")
    if not isinstance(names, dict) or not names:
        raise spec.error("name: expected a mapping of locale to name", "name")
    number = str(spec.get("number", ""))
    if "number" in spec and not re.fullmatch(r"\+?\d{3,15}|sip:\S+", number):
        raise spec.error(
            f"number: expected a phone number or SIP address, got {number!r}", "number"
        )
    if number and not number.startswith("sip:") and national_number(number) in own:
        raise spec.error(
            f"number {number} is this hotline's own number (hotline.yaml numbers): "
            "option 9 would call the hotline itself; leave the number out",
            "number",
        )
    agents = spec.get("agents")
    if not isinstance(agents, dict) or len(agents) != 1 or not ({"dial", "enqueue"} & set(agents)):
        raise spec.error("agents: expected {dial: number} or {enqueue: queue}", "agents")
    return Centre(
        code=code,
        names={str(k): str(v) for k, v in names.items()},
        number=number,
        agents={str(k): str(v) for k, v in agents.items()},
        ask_provincial=bool(spec.get("ask_provincial", False)),
    )


def load_mobile_blocks(path: Path, centres: dict[str, Centre]) -> dict[str, str]:
    blocks: dict[str, str] = {}
    if not path.exists():
        return blocks
    with path.open(encoding="utf-8", newline="") as handle:
        rows = (line for line in handle if not line.lstrip().startswith("#"))
        reader = csv.DictReader(rows)
        if reader.fieldnames != ["prefix", "area_code"]:
            raise FlowFileError(path, 1, "expected the header prefix,area_code")
        for row in reader:
            line = reader.line_num + _comment_lines(path)
            prefix, code = row["prefix"].strip(), row["area_code"].strip()
            if not re.fullmatch(r"1\d{6}", prefix):
                raise FlowFileError(path, line, f"prefix {prefix!r}: expected 7 digits starting 1")
            if code not in centres:
                raise FlowFileError(path, line, f"area code {code!r} is not in directory.yaml")
            blocks[prefix] = code
    return blocks


def _comment_lines(path: Path) -> int:
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            break
        count += 1
    return count


def parse_directory(
    spec: object, path: Path, mobile_path: Path, hotline_numbers: Iterable[str] = ()
) -> Directory:
    """The directory; ``hotline_numbers`` (the numbers this hotline answers) are refused
    as a centre's number."""
    if not isinstance(spec, Located):
        raise FlowFileError(path, 1, "expected a mapping with provincial and centres")
    for key in ("provincial", "centres"):
        if key not in spec:
            raise spec.error(f"missing {key!r}")
    centres_raw = spec["centres"]
    if not isinstance(centres_raw, Located):
        raise spec.error("centres: expected a mapping of area code to centre", "centres")
    own = {national_number(n) for n in hotline_numbers} - {""}
    centres = {}
    for code, entry in centres_raw.items():
        code = str(code)
        if not AREA_CODE.match(code):
            raise centres_raw.error(f"area code {code!r}: expected 0 and 2-3 digits", code)
        centres[code] = _centre(code, entry, centres_raw, code, own)
    provincial_code = str(spec.get("provincial_code", "0"))
    return Directory(
        provincial=_centre("provincial", spec["provincial"], spec, "provincial", own),
        centres=centres,
        provincial_code=provincial_code,
        mobile_blocks=load_mobile_blocks(mobile_path, centres),
    )
