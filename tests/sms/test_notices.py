"""Verification codes drawn in bulk look like identifiers.codes.new_code's."""

from __future__ import annotations

from identifiers.codes import ALPHABET
from sms.notices import new_codes


def test_bulk_codes_use_the_whole_alphabet_and_only_it():
    codes = new_codes(5000)
    assert len(codes) == 5000 and {len(code) for code in codes} == {6}
    assert set("".join(codes)) == set(ALPHABET)
    assert len(set(codes)) > 4990  # 25^6 possibilities: repeats are rare


def test_no_codes_for_no_notices():
    assert new_codes(0) == []
