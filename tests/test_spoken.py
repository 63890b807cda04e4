"""Numbers, money, months and digits as a <Say> voice should read them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr import spoken

DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}


def parse_chinese(text: str) -> int:
    """The inverse of chinese_number, written independently, for the property test."""
    total = section = digit = 0
    for char in text:
        if char in DIGIT:
            digit = DIGIT[char]
        elif char in SMALL_UNITS:
            section += (digit or 1) * SMALL_UNITS[char]
            digit = 0
        elif char == "万":
            section = (section + digit) * 10_000
            total, section, digit = total + section, 0, 0
        elif char == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
        else:
            raise ValueError(char)
    return total + section + digit


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "零"),
        (7, "七"),
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (12345, "一万二千三百四十五"),
        (100000, "十万"),
        (100010, "十万零一十"),
        (110000, "十一万"),
        (1000001, "一百万零一"),
        (12000345, "一千二百万零三百四十五"),
        (100000000, "一亿"),
        (100010000, "一亿零一万"),
        (100000001, "一亿零一"),
        (1010101010, "十亿一千零一十万一千零一十"),
    ],
)
def test_chinese_numbers(n, text):
    assert spoken.chinese_number(n) == text


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_chinese_numbers_read_back_to_the_same_value(n):
    text = spoken.chinese_number(n)
    assert parse_chinese(text) == n
    assert "零零" not in text and not text.endswith("零") or n == 0


def test_numbers_out_of_range_are_refused():
    with pytest.raises(ValueError):
        spoken.chinese_number(-1)
    with pytest.raises(ValueError):
        spoken.chinese_number(10**12)


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (1_234_567, "一万二千三百四十五元六角七分", "12,345 yuan 67 fen"),
        (1_234_500, "一万二千三百四十五元", "12,345 yuan"),
        (1_234_507, "一万二千三百四十五元零七分", "12,345 yuan 7 fen"),
        (1_234_560, "一万二千三百四十五元六角", "12,345 yuan 60 fen"),
        (0, "零元", "0 yuan"),
        (7, "七分", "7 fen"),
        (60, "六角", "60 fen"),
        (100, "一元", "1 yuan"),
        (1_000_000_00, "一百万元", "1,000,000 yuan"),
    ],
)
def test_money(fen, zh, en):
    assert spoken.money(fen, "zh-CN") == zh
    assert spoken.money(fen, "en-US") == en


def test_negative_money_is_refused():
    with pytest.raises(ValueError):
        spoken.money(-1, "zh-CN")


@pytest.mark.parametrize(
    ("when", "zh", "en"),
    [
        (date(2026, 10, 1), "二零二六年十月", "October 2026"),
        (date(2005, 1, 31), "二零零五年一月", "January 2005"),
        (date(1999, 12, 1), "一九九九年十二月", "December 1999"),
    ],
)
def test_months(when, zh, en):
    assert spoken.month(when, "zh-CN") == zh
    assert spoken.month(when, "en-US") == en


def test_counts():
    assert spoken.months(123, "zh-CN") == "一百二十三个月"
    assert spoken.months(1, "en-US") == "1 month"
    assert spoken.months(1234, "en-US") == "1,234 months"
    assert spoken.minutes(30, "zh-CN") == "三十分钟"
    assert spoken.minutes(1, "en-US") == "1 minute"


@pytest.mark.parametrize(
    ("number", "groups"),
    [
        ("043188881234", ["0431", "8888", "1234"]),
        ("04316661234", ["0431", "666", "1234"]),
        ("01066668888", ["010", "6666", "8888"]),
        ("02162345678", ["021", "6234", "5678"]),
        ("88881234", ["8888", "1234"]),
        ("6661234", ["666", "1234"]),
        ("1234", ["1234"]),
    ],
)
def test_phone_groups(number, groups):
    assert spoken.phone_groups(number) == groups


def test_digits_read_one_by_one_with_pauses_between_groups():
    assert spoken.digits("043188881234", "zh-CN") == "零四三幺，八八八八，幺二三四"
    assert spoken.digits("043188881234", "en-US") == (
        "zero four three one, eight eight eight eight, one two three four"
    )
    assert spoken.digits("1234", "zh-CN", grouped=False) == "幺二三四"
    with pytest.raises(ValueError):
        spoken.digits("12a4", "zh-CN")
