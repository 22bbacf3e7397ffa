"""How every SMS is framed: GSM-7, a code and how to check it, help when it fits one part."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from sms.segments import GSM7, count, is_gsm7
from sms.templates import compose, verify_dial, with_opt_out
from words.i18n import CATALOGUES, DOMAIN, LANGUAGES


def test_the_dial_string_goes_to_the_verify_item_with_the_code():
    assert verify_dial("*384*1919#", "482913") == "*384*1919*5*482913#"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_short_sms_keeps_the_help_line(lang):
    text = compose(lang, "x" * 60, "482913", "*384*1919#")
    assert text.startswith("HUDUMA: ") and "*384*1919*5*482913#" in text and "1919" in text[-12:]
    assert count(text).parts == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_help_line_goes_when_that_keeps_one_part(lang):
    body = "x" * 115
    text = compose(lang, body, "482913", "*384*1919#")
    assert count(text).parts == 1 and text.endswith("*384*1919*5*482913#")


def test_without_a_service_code_the_code_is_printed_alone():
    assert "Code 482913" in compose("en", "x", "482913", "")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_citizen_text_is_gsm7(lang):
    with (CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        texts = [str(m.string or m.id) for m in read_po(po) if m.id]
    assert [text for text in texts if not is_gsm7(text)] == []


def test_opt_out_line_in_each_language():
    assert with_opt_out("x", "en").endswith("STOP to opt out.")
    assert "ACHA" in with_opt_out("x", "sw") and count(with_opt_out("x", "sw")).encoding == GSM7
