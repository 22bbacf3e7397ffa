"""Every visit SMS is one GSM-7 part in both languages, with the longest real values filled in."""

from __future__ import annotations

import pytest

from demo.seed import read_centres
from sms.segments import count
from sms.visits import Addressee, Event, visit_text

LONGEST = max((row["name"] for row in read_centres()), key=len)
VALUES = {"ahead": 999, "counter": 99, "rating": 5}


@pytest.mark.parametrize("lang", ["en", "sw"])
@pytest.mark.parametrize("event", list(Event))
def test_each_text_fits_one_gsm7_part_with_its_code(event, lang):
    text = visit_text(
        event, Addressee(1, "+254712000001", lang, "999", LONGEST), "K7Q4M9", **VALUES
    )
    assert count(text).encoding == "GSM-7" and count(text).parts == 1, text
    assert LONGEST in text and ("Code K7Q4M9" if lang == "en" else "Msimbo K7Q4M9") in text


def test_an_overlong_centre_name_gives_way_to_the_rest():
    name = "Huduma Centre " + "Kapsabet-Nandi-Hills-" * 4 + "Mosoriot"
    text = visit_text(Event.NEAR, Addressee(1, "+254712000001", "sw", "123", name), "K7Q4M9",
                      ahead=3)  # fmt: skip
    assert count(text).parts == 1 and "Tiketi 123" in text and text.endswith("Msaada: 1919")


def test_a_typographic_quote_in_a_name_does_not_force_ucs2():
    who = Addressee(1, "+254712000001", "en", "007", "Huduma Centre Murang’a")
    text = visit_text(Event.CALLED, who, "K7Q4M9", counter=3)
    assert count(text).encoding == "GSM-7" and "Murang'a" in text
