"""The engine alone: no Flask, no Redis, no database."""

from __future__ import annotations

from ussd.engine import (
    BUDGET,
    Go,
    Invalid,
    Menus,
    Node,
    State,
    View,
    advance,
    choose,
    rebuild,
    start,
)  # fmt: skip

ITEMS = [f"Option number {n} with a long label" for n in range(1, 13)]


def _pick(turn, text):
    return Go("done", {"x": text}) if choose(text, len(ITEMS)) is not None else Invalid()


NODES = {
    "root": Node("root", lambda t: View("Main", ["List", "Other"]),
                 lambda t, x: Go("list") if x == "1" else Invalid()),
    "list": Node("list", lambda t: View("Pick one", ITEMS), _pick),
    "done": Node("done", lambda t: View(f"Chose {t.data['x']}", end=True)),
}  # fmt: skip


def menus() -> Menus[None]:
    return Menus(NODES, "root", lambda lang: str)


def test_start_shows_root():
    state, screen = start(menus(), None, "en")
    assert screen.text.startswith("Main\n1. List") and not screen.end


def test_paging_never_cuts_an_option_and_keeps_numbers():
    state, _ = start(menus(), None, "en")
    state, first = advance(state, "1", menus(), None)
    state, second = advance(state, "98", menus(), None)
    assert all(len(s.text) <= BUDGET for s in (first, second))
    assert "98.More" in first.text and second.text.split("\n")[1].startswith("4. ")


def test_choice_on_a_later_page_and_end():
    state, _ = start(menus(), None, "en")
    state, _ = advance(state, "1", menus(), None)
    state, screen = advance(state, "12", menus(), None)
    assert screen.end and screen.text == "Chose 12"


def test_back_and_home():
    state, _ = start(menus(), None, "en")
    state, _ = advance(state, "1", menus(), None)
    state, screen = advance(state, "0", menus(), None)
    assert state.screen == "root" and screen.text.startswith("Main")


def test_three_invalid_inputs_end_politely():
    state, _ = start(menus(), None, "en")
    screens = [advance(state, "x", menus(), None)[1] for _ in range(3)]
    assert screens[0].text.startswith("Invalid choice.") and not screens[0].end
    assert screens[2].end


def test_state_round_trips_through_json():
    state = State(screen="list", data={"a": "1*2"}, stack=["root"], lang="sw", hop=4)
    assert State.loads(state.dumps()) == state


def test_a_journey_starts_with_clean_data():
    state, _ = start(menus(), None, "en")
    state.data["replaces"] = "7"
    state, _ = advance(state, "1", menus(), None)
    assert state.screen == "list" and state.data == {}


def test_back_to_the_main_menu_forgets_the_journey():
    state, _ = start(menus(), None, "en")
    state, _ = advance(state, "1", menus(), None)
    state.data["replaces"] = "7"
    state, _ = advance(state, "0", menus(), None)
    assert state.screen == "root" and state.data == {}


def test_rebuilding_a_lost_session_stops_where_an_input_would_act():
    acting = dict(NODES) | {"list": Node("list", NODES["list"].view, _pick, acts=True)}
    state, screen = rebuild(Menus(acting, "root", lambda lang: str), None, "en", ["1", "3"])
    assert state.screen == "list" and not screen.end and "x" not in state.data


def test_rebuilding_replays_a_bounded_number_of_inputs():
    state, _ = rebuild(menus(), None, "en", ["1", "0"] * 500)
    assert state.hop <= 20


def test_a_screen_over_the_budget_is_cut_and_logged(caplog):
    nodes = {"root": Node("root", lambda t: View("x" * 200, end=True))}
    _, screen = start(Menus(nodes, "root", lambda lang: str), None, "en")
    assert len(screen.text) == BUDGET and "over the 160 budget" in caplog.text
