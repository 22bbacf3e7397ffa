"""What every journey shares: screen builders, the hop's idempotency key and date formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from menus.context import HopContext, HopTurn
from ussd.engine import Again, Go, Invalid, Node, Outcome, View
from words.dates import day_text as _day_text
from words.dates import when_text as _when_text
from words.i18n import N_

GONE = N_("That choice is no longer available. Choose again.")
LOCKED = N_("Too many lookups from this number. Try again in {minutes} min or call 1919.")
Items = Callable[[HopTurn], list[tuple[str, str]]]


def hop_key(turn: HopTurn) -> str:
    """Return the idempotency key of this hop's side effect."""
    return f"ussd:{turn.ctx.caller.session_id}:{turn.state.hop}"


def day_text(turn: HopTurn, day: date) -> str:
    """Format a date the way callers read it: Tuesday 14/01/2026."""
    return _day_text(day, turn.state.lang)


def when_text(turn: HopTurn, moment: datetime) -> str:
    """Format a moment in local time: Tuesday 14/01/2026 09:00."""
    return _when_text(moment, turn.state.lang, turn.ctx.tz)


def menu(
    node_id: str, title: str, options: Sequence[tuple[str, str]], data_key: str = ""
) -> Node[HopContext]:
    """A screen of fixed options, each leading to a screen (and recording its position)."""

    def view(turn: HopTurn) -> View:
        return View(turn.t(title), [turn.t(label) for label, _ in options])

    def handle(turn: HopTurn, text: str) -> Outcome:
        picked = turn.picked(text)
        if picked is None:
            return Invalid()
        return Go(options[int(picked)][1], {data_key: picked} if data_key else {})

    return Node(node_id, view, handle)


def notice(node_id: str, render: Callable[[HopTurn], str]) -> Node[HopContext]:
    """A closing screen."""
    return Node(node_id, lambda turn: View(render(turn), end=True))


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, of a wait of `seconds` (at least one)."""
    return max(1, -(-seconds // 60))


def locked(turn: HopTurn, seconds: int) -> View:
    """The closing screen of a phone locked out for `seconds`: it says for how long."""
    return View(turn.t(LOCKED, minutes=minutes(seconds)), end=True)


def listing(
    node_id: str,
    title: str,
    items: Items,
    key: str,
    target: str,
    empty: str = N_("Nothing to choose from. Dial again later."),
    still: Callable[[HopTurn, str], bool] | None = None,
) -> Node[HopContext]:
    """A screen listing (value, label) pairs; a choice stores the value the caller saw.

    `still` says whether a chosen value is still available; when it is not, the caller is told
    and sees the list afresh.
    """

    def view(turn: HopTurn) -> View:
        found = items(turn)
        if not found:
            return View(turn.t(empty), end=True)
        return View(turn.t(title), [label for _, label in found], values=[v for v, _ in found])

    def handle(turn: HopTurn, text: str) -> Outcome:
        value = turn.picked(text)
        if value is None:
            return Invalid()
        if still is not None and not still(turn, value):
            return Again(GONE)
        return Go(target, {key: value})

    return Node(node_id, view, handle)
