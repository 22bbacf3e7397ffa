"""Short codes."""

from __future__ import annotations

from identifiers.codes import ALPHABET, booking_reference, new_code, normalise_code


def test_codes_use_only_unambiguous_characters():
    codes = {new_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(len(c) == 6 and set(c) <= set(ALPHABET) for c in codes)


def test_booking_reference_shape():
    ref = booking_reference()
    assert ref.startswith("HKA-") and len(ref) == 9


def test_typed_codes_are_normalised():
    assert normalise_code(" hka-7q4m2 ") == "HKA7Q4M2"
