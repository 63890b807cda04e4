"""Numbers, money, months and digit strings as text a <Say> voice reads naturally.

zh-CN text is written in Chinese numerals (Polly Zhiyu reads them as a person
would: 一万二千三百四十五元六角七分, 二零二六年十月); every other locale gets
English ("12,345 yuan 67 fen", "October 2026"). Nothing here belongs to one
menu option: option 4 reads account amounts with it, option 3 a fax number
digit by digit.
"""

from __future__ import annotations

import re
from datetime import date

ZH_DIGITS = "零一二三四五六七八九"
ZH_PHONE_DIGITS = "零幺二三四五六七八九"  # 1 is "yao" when reading numbers out
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_GROUP_UNITS = ("", "万", "亿")
_MAX = 10**12 - 1  # up to 九千九百九十九亿…


def is_chinese(locale: str) -> bool:
    return locale.lower().startswith("zh")


def chinese_number(n: int) -> str:
    """0 → 零, 10 → 十, 1001 → 一千零一, 100010 → 十万零一十, 12345 → 一万二千三百四十五."""
    if not 0 <= n <= _MAX:
        raise ValueError(f"cannot speak {n} in Chinese numerals (0 to {_MAX})")
    if n == 0:
        return ZH_DIGITS[0]
    groups = []  # four-digit groups, lowest first
    while n:
        n, group = divmod(n, 10_000)
        groups.append(group)
    parts: list[str] = []
    gap = False  # a zero group since the last spoken one
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(parts)
            continue
        if parts and (gap or group < 1000):
            parts.append("零")
        parts.append(_below_10000(group) + _GROUP_UNITS[index])
        gap = False
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def _below_10000(n: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out, zero = out + "零", False
        out += ZH_DIGITS[digit] + unit
    return out


def money(fen: int, locale: str) -> str:
    """An amount in fen: ``1234567`` → 一万二千三百四十五元六角七分 / 12,345 yuan 67 fen."""
    if fen < 0:
        raise ValueError("amounts spoken to callers are never negative")
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    if not is_chinese(locale):
        if yuan and rest:
            return f"{yuan:,} yuan {rest} fen"
        return f"{rest} fen" if rest else f"{yuan:,} yuan"
    if fen == 0:
        return "零元"
    text = f"{chinese_number(yuan)}元" if yuan else ""
    if jiao:
        text += f"{ZH_DIGITS[jiao]}角"
    if cents:
        text += ("零" if yuan and not jiao else "") + f"{ZH_DIGITS[cents]}分"
    return text


def month(when: date, locale: str) -> str:
    """A calendar month: 二零二六年十月 / October 2026."""
    if not is_chinese(locale):
        return f"{EN_MONTHS[when.month - 1]} {when.year}"
    year = "".join(ZH_DIGITS[int(d)] for d in f"{when.year:04d}")
    return f"{year}年{chinese_number(when.month)}月"


def months(n: int, locale: str) -> str:
    """A number of months: 一百二十三个月 / 123 months."""
    if is_chinese(locale):
        return f"{chinese_number(n)}个月"
    return f"{n:,} month" + ("" if n == 1 else "s")


def minutes(n: int, locale: str) -> str:
    """A number of minutes: 三十分钟 / 30 minutes."""
    if is_chinese(locale):
        return f"{chinese_number(n)}分钟"
    return f"{n} minute" + ("" if n == 1 else "s")


def phone_groups(number: str) -> list[str]:
    """Split a Chinese landline number as people say it: area code, then blocks of four.

    ``043188881234`` → 0431 8888 1234; ``01066668888`` → 010 6666 8888;
    ``88881234`` → 8888 1234; ``6661234`` → 666 1234.
    """
    if not re.fullmatch(r"\d+", number):
        raise ValueError("digits only")
    groups: list[str] = []
    rest = number
    if rest.startswith("0") and len(rest) >= 10:
        area = 3 if rest[1] in "12" else 4  # 010 and 02x are the three-digit codes
        groups.append(rest[:area])
        rest = rest[area:]
    tail: list[str] = []
    while len(rest) > 4:
        tail.insert(0, rest[-4:])
        rest = rest[:-4]
    return [*groups, *([rest] if rest else []), *tail]


def digits(number: str, locale: str, *, grouped: bool = True) -> str:
    """Digit by digit, with a pause between groups: 零四三幺，八八八八 / zero four three one, …"""
    groups = phone_groups(number) if grouped else [number]
    if is_chinese(locale):
        return "，".join("".join(ZH_PHONE_DIGITS[int(d)] for d in group) for group in groups)
    return ", ".join(" ".join(EN_DIGITS[int(d)] for d in group) for group in groups)
