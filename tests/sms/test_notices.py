"""Verification codes drawn in bulk look like identifiers.codes.verification_code's."""

from __future__ import annotations

from identifiers.codes import ALPHABET, DIGITS, verification_code, verification_codes


def test_bulk_codes_use_every_digit_and_only_digits():
    codes = verification_codes(5000)
    assert len(codes) == 5000 and {len(code) for code in codes} == {6}
    assert set("".join(codes)) == set(DIGITS)
    assert len(set(codes)) > 4950  # 10^6 possibilities: repeats are rare


def test_codes_of_another_alphabet_keep_to_it():
    assert set("".join(verification_codes(500, ALPHABET))) == set(ALPHABET)


def test_one_code_is_six_digits():
    assert verification_code().isdigit() and len(verification_code()) == 6


def test_no_codes_for_no_notices():
    assert verification_codes(0) == []
