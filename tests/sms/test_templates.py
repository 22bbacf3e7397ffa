"""Every SMS template, in both languages with the longest realistic values, fits what we promise."""

from __future__ import annotations

import pytest

from sms.segments import GSM7, count
from sms.templates import KINDS, LANGUAGES, TEXTS, kind_values, render, status_words, with_opt_out

LONGEST = {
    "ref": "HK-BC-12345678",
    "centre": "Huduma Centre Elgeyo-Marakwet",
    "code": "K7Q4M9",
    "when": "Alhamisi 14/01/2026 09:00",
    "service": "Certificate of good conduct",
}
TWO_PARTS = {"booking_reminder"}


def _fill(name: str, language: str, kind: str) -> str:
    status = status_words("AVAILABLE_ON_ECITIZEN", language)
    return render(name, language, status=status, **LONGEST, **kind_values(kind, language))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_template_is_gsm7_within_its_parts(name, language):
    for kind in KINDS:
        segments = count(_fill(name, language, kind))
        assert segments.encoding == GSM7
        assert segments.parts <= (2 if name in TWO_PARTS else 1), (name, language, kind)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["ecitizen", "ready", "uncollected"])
def test_the_good_conduct_notices_fit_one_part(name, language):
    segments = count(_fill(name, language, "GOOD_CONDUCT"))
    assert (segments.encoding, segments.parts) == (GSM7, 1)


def test_notice_carries_free_collection_help_line_and_code():
    text = _fill("ready", "en", "ID_CARD")
    assert "Collection is FREE" in text and "Help: 1919" in text and "K7Q4M9" in text


def test_kiswahili_notice_uses_the_agreeing_phrase():
    assert _fill("ready", "sw", "ID_CARD").startswith(
        "HUDUMA: Kitambulisho chako HK-BC-12345678 kiko"
    )


def test_opt_out_line_in_each_language():
    assert with_opt_out("x", "en").endswith("STOP to opt out.")
    assert "ACHA" in with_opt_out("x", "sw")
