"""Pages are fixed when a list is first shown: a wrong key keeps the page, 0 goes back a page."""

from __future__ import annotations

from tests.ussd_dial import Dial

COUNTIES = ("2", "1")  # book, the first service: a list of counties over several pages


def _first_option(screen: str) -> str:
    return next(line for line in screen.split("\n")[1:] if line[:1].isdigit())


def test_a_wrong_key_keeps_the_page_and_more_still_works(client, seeded):
    dial = Dial(client)
    dial.start()
    dial.send(*COUNTIES)
    second = dial.send("98")
    refused = dial.send("99")
    assert "Invalid choice" in refused and _first_option(refused) == _first_option(second)
    third = dial.send("98")
    assert third.startswith("CON ") and _first_option(third) != _first_option(second)


def test_back_on_a_later_page_goes_back_one_page(client, seeded):
    dial = Dial(client)
    dial.start()
    first = dial.send(*COUNTIES)
    second = dial.send("98")
    dial.send("98")
    assert dial.send("0") == second
    assert dial.send("0") == first


def test_paging_between_wrong_keys_does_not_end_the_session(client, seeded):
    dial = Dial(client)
    dial.start()
    dial.send(*COUNTIES)
    for value in ("99", "98", "99", "0", "99"):
        dial.send(value)
    assert dial.last.startswith("CON ") and "Invalid choice" in dial.last
