"""Fax numbers as Chinese callers key them."""

from __future__ import annotations

import pytest

from ivr.fax import numbers
from ivr.fax.models import FaxRequest


@pytest.mark.parametrize(
    ("keyed", "verdict"),
    [
        ("043188881234", "ok"),  # Changchun, 8-digit local
        ("04326661234", "ok"),  # Jilin, 7-digit local
        ("01066668888", "ok"),  # Beijing, three-digit area code
        ("02162345678", "ok"),  # Shanghai
        ("88881234", "ok"),  # local, no area code
        ("6661234", "ok"),
        ("13904311234", "mobile"),
        ("19912345678", "mobile"),
        ("", "invalid"),
        ("12345", "invalid"),
        ("08881234", "invalid"),  # area code too short for what follows
        ("043108881234", "invalid"),  # local numbers do not start with 0
        ("0431888812345", "invalid"),  # too long
        ("12345678", "invalid"),  # local numbers do not start with 1
        ("013904311234", "invalid"),
    ],
)
def test_check(keyed, verdict):
    assert numbers.check(keyed) == verdict


def test_area_code_added_to_local_numbers_only():
    assert numbers.with_area_code("88881234", "0431") == "043188881234"
    assert numbers.with_area_code("043288881234", "0431") == "043288881234"
    assert numbers.with_area_code("88881234", "provincial") == "88881234"


def test_e164():
    assert numbers.e164("043188881234") == "+8643188881234"
    assert numbers.e164("01066668888") == "+861066668888"
    with pytest.raises(ValueError):
        numbers.e164("88881234")


def test_masked_numbers_keep_the_area_code_and_last_two_digits():
    assert FaxRequest(fax_number="043188881234").masked_number == "0431******34"
    assert FaxRequest(fax_number="88881234").masked_number == "888***34"
