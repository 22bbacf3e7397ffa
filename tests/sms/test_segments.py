"""Segment counting: GSM-7 160/153, UCS-2 70/67, extension characters count double."""

from __future__ import annotations

import pytest

from sms.segments import GSM7, UCS2, count, normalise


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, GSM7, 1),
        ("a" * 161, GSM7, 2),
        ("a" * 306, GSM7, 2),
        ("a" * 307, GSM7, 3),
        ("€" * 80, GSM7, 1),
        ("€" * 81, GSM7, 2),
        ("a" * 69 + "’", UCS2, 1),
        ("a" * 70 + "’", UCS2, 2),
        ("Habari 😀", UCS2, 1),
        ("", GSM7, 1),
    ],
)
def test_count_parts(text, encoding, parts):
    result = count(text)
    assert (result.encoding, result.parts) == (encoding, parts)


def test_normalise_turns_typographic_quotes_into_gsm7():
    assert count(normalise("It’s ready – collect it")).encoding == GSM7
