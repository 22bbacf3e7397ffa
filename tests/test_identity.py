"""Kenyan phone and ID numbers."""

from __future__ import annotations

import pytest

from identifiers.numbers import (
    InvalidIdNumber,
    InvalidPhone,
    mask_id_number,
    mask_phone,
    normalise_phone,
    validate_id_number,
)


@pytest.mark.parametrize(
    "raw",
    ["0712345678", "712345678", "254712345678", "+254712345678", "+254 712 345 678", "0110345678"],
)
def test_accepted_forms_become_e164(raw):
    assert normalise_phone(raw).startswith("+254")
    assert len(normalise_phone(raw)) == 13


@pytest.mark.parametrize("raw", ["", "12345", "+255712345678", "0201234567", "07123456789", "abc"])
def test_other_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_masking_keeps_only_the_ends():
    assert mask_phone("+254712345678") == "+2547*****678"
    assert mask_id_number("12345678") == "****5678"


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("12345678", True),
        ("12345678901234", True),
        ("12345", False),
        ("1234abcd", False),
        ("", False),
    ],
)
def test_id_numbers(raw, ok):
    if ok:
        assert validate_id_number(raw) == raw
    else:
        with pytest.raises(InvalidIdNumber):
            validate_id_number(raw)
