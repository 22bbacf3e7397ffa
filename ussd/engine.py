"""The pure engine: advance a session state by one input; no Flask, Redis or SDK in here."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BUDGET = 160
MAX_INVALID = 3
MAX_REBUILT = 20  # inputs replayed at most when a lost session is rebuilt
BACK, HOME, MORE = "0", "00", "98"
RESUME = "resume"
CHOICE = re.compile(r"[0-9]{1,3}")  # ASCII only: "²".isdigit() is True but int("²") fails
log = logging.getLogger(__name__)
N_ = str  # marks a msgid for extraction; translated when the screen is rendered


@dataclass(slots=True)
class State:
    """Where a caller is: screen, choices so far, the way back, language and counters."""

    screen: str = ""
    data: dict[str, str] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    lang: str = "en"
    invalid: int = 0
    page: int = 0
    hop: int = 0
    flash: str = ""

    def dumps(self) -> str:
        """Serialise to a short JSON string."""
        fields = {name: getattr(self, name) for name in self.__slots__}  # asdict deep-copies: slow
        return json.dumps(fields, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> State:
        """Rebuild a state from `dumps` output."""
        return cls(**json.loads(raw))


@dataclass(frozen=True, slots=True)
class Screen:
    """What the caller sees: `end` closes the session."""

    id: str
    text: str
    end: bool


@dataclass(frozen=True, slots=True)
class View:
    """A screen's content before numbering, paging and navigation are added."""

    title: str
    options: Sequence[str] = ()
    end: bool = False


@dataclass(frozen=True, slots=True)
class Go:
    """Move to another screen, remembering choices."""

    to: str
    data: Mapping[str, str] = field(default_factory=dict)
    flash: str = ""
    lang: str = ""
    push: bool = True


@dataclass(frozen=True, slots=True)
class Invalid:
    """Stay on this screen and say why."""

    reason: str = N_("Invalid choice.")


Outcome = Go | Invalid


@dataclass(slots=True)
class Turn:
    """What a screen's functions see: the state, the hop context and the translator."""

    state: State
    ctx: Any
    gettext: Callable[[str], str]

    @property
    def data(self) -> dict[str, str]:
        return self.state.data

    def t(self, msgid: str, **values: object) -> str:
        """Translate `msgid` into the caller's language and fill in values."""
        text = self.gettext(msgid)
        return text.format(**values) if values else text


@dataclass(frozen=True, slots=True)
class Node:
    """A screen: how it looks and what an input on it does."""

    id: str
    view: Callable[[Turn], View]
    handle: Callable[[Turn, str], Outcome] | None = None
    acts: bool = False  # an input here may book, cancel, store or send something


@dataclass(slots=True)
class Menus:
    """The screens of one service plus what the hop needs (context and catalogues)."""

    nodes: Mapping[str, Node]
    root: str
    translator: Callable[[str], Callable[[str], str]]
    ctx: Any = None
    nav: Mapping[str, str] = field(default_factory=dict)

    def turn(self, state: State) -> Turn:
        return Turn(state, self.ctx, self.translator(state.lang))


def start(menus: Menus, lang: str) -> tuple[State, Screen]:
    """Open a new session on the root screen."""
    state = State(screen=menus.root, lang=lang)
    return state, render(state, menus)


def offer_resume(saved: State, menus: Menus) -> tuple[State, Screen]:
    """Open a new session that offers to continue a dropped one."""
    state = State(screen=RESUME, lang=saved.lang, data={"saved": saved.dumps()})
    return state, _resume_screen(state, menus)


def _resume_screen(state: State, menus: Menus) -> Screen:
    turn = menus.turn(state)
    head = _head(turn, turn.t(N_("Continue where you left off?")))
    state.flash = ""
    options = _numbered([turn.t(N_("Continue")), turn.t(N_("Start again"))])
    return Screen(RESUME, _join(head, options, ""), False)


def _resume(state: State, user_input: str, menus: Menus) -> tuple[State, Screen]:
    if user_input == "1":
        restored = State.loads(state.data["saved"])
        restored.hop, restored.invalid, restored.page = state.hop, 0, 0
        return restored, render(restored, menus)
    if user_input == "2":
        fresh = State(screen=menus.root, lang=state.lang, hop=state.hop)
        return fresh, render(fresh, menus)
    state.invalid += 1
    if state.invalid >= MAX_INVALID:
        turn = menus.turn(state)
        return state, Screen(RESUME, turn.t(N_("Too many invalid entries. Goodbye.")), True)
    state.flash = N_("Invalid choice.")
    return state, _resume_screen(state, menus)


def advance(state: State, user_input: str, menus: Menus) -> tuple[State, Screen]:
    """Apply one input to `state` and return the next state and screen."""
    state.hop += 1
    if state.screen == RESUME:
        return _resume(state, user_input.strip(), menus)
    screen = _navigate(state, user_input.strip(), menus)
    if screen is not None:
        return state, screen
    node = menus.nodes[state.screen]
    outcome = node.handle(menus.turn(state), user_input.strip()) if node.handle else Invalid()
    if isinstance(outcome, Invalid):
        return _invalid(state, outcome.reason, menus)
    return state, go(state, outcome, menus)


def rebuild(menus: Menus, lang: str, inputs: Sequence[str]) -> tuple[State, Screen]:
    """Replay a lost session's inputs from the root, stopping on the first screen that acts."""
    state, screen = start(menus, lang)
    for piece in inputs[:MAX_REBUILT]:
        if screen.end or menus.nodes[state.screen].acts:
            break  # a guess must never book, cancel or send: show the screen and let them choose
        state, screen = advance(state, piece, menus)
    return state, screen


def _navigate(state: State, user_input: str, menus: Menus) -> Screen | None:
    if user_input == HOME and state.screen != menus.root:
        state.screen, state.stack, state.data, state.page = menus.root, [], {}, 0
        return render(state, menus)
    if user_input == BACK and state.stack:
        state.screen, state.page = state.stack.pop(), 0
        if state.screen == menus.root:
            state.data = {}
        return render(state, menus)
    if user_input == MORE and state.page + 1 < len(pages(state, menus)):
        state.page += 1
        return render(state, menus)
    return None


def _invalid(state: State, reason: str, menus: Menus) -> tuple[State, Screen]:
    state.invalid += 1
    turn = menus.turn(state)
    if state.invalid >= MAX_INVALID:
        return state, Screen(state.screen, turn.t(N_("Too many invalid entries. Goodbye.")), True)
    state.flash = reason
    return state, render(state, menus)


def go(state: State, outcome: Go, menus: Menus) -> Screen:
    """Apply a move and render where it lands."""
    if menus.root in (outcome.to, state.screen):
        state.data = {}  # a journey starts and ends at the main menu: nothing carries over
    if outcome.to == menus.root:
        state.stack.clear()
    elif outcome.to in state.stack:
        del state.stack[state.stack.index(outcome.to) :]
    elif outcome.push and outcome.to != state.screen:
        state.stack.append(state.screen)
    state.screen, state.page, state.invalid = outcome.to, 0, 0
    state.data.update(outcome.data)
    state.flash = outcome.flash
    if outcome.lang:
        state.lang = outcome.lang
    return render(state, menus)


def render(state: State, menus: Menus) -> Screen:
    """Render the current screen and page, within the budget."""
    turn = menus.turn(state)
    view = menus.nodes[state.screen].view(turn)
    head = _head(turn, view.title)
    if view.end:
        state.flash = ""
        return Screen(state.screen, fit(head, state.screen), True)
    all_pages = paginate(head, _numbered(view.options), _footers(turn, state, menus))
    page = all_pages[min(state.page, len(all_pages) - 1)]
    state.flash = ""
    return Screen(state.screen, fit(page, state.screen), False)


def _head(turn: Turn, title: str) -> str:
    flash = turn.t(turn.state.flash) if turn.state.flash else ""
    return f"{flash}\n{title}" if flash else title


def _numbered(options: Sequence[str]) -> list[str]:
    return [f"{number}. {label}" for number, label in enumerate(options, start=1)]


def _footers(turn: Turn, state: State, menus: Menus) -> tuple[str, str]:
    """Return the footer of a middle page and of the last page."""
    back, home, more_label = turn.t(N_("Back")), turn.t(N_("Menu")), turn.t(N_("More"))
    nav = []
    if state.stack:
        nav.append(f"{BACK}.{back}")
    if state.screen != menus.root:
        nav.append(f"{HOME}.{home}")
    last = " ".join(nav)
    more = f"{MORE}.{more_label}"
    return (f"{more} {last}".strip(), last)


def paginate(head: str, options: list[str], footers: tuple[str, str]) -> list[str]:
    """Cut options into pages that fit the budget, never inside an option."""
    more_footer, last_footer = footers
    pages_: list[str] = []
    rest = options
    while True:
        if len(_join(head, rest, last_footer)) <= BUDGET or len(rest) <= 1:
            pages_.append(_join(head, rest, last_footer))
            return pages_
        take = 1
        while take < len(rest) and len(_join(head, rest[: take + 1], more_footer)) <= BUDGET:
            take += 1
        pages_.append(_join(head, rest[:take], more_footer))
        rest = rest[take:]


def pages(state: State, menus: Menus) -> list[str]:
    """Return the pages of the current screen."""
    turn = menus.turn(state)
    view = menus.nodes[state.screen].view(turn)
    if view.end:
        return [_head(turn, view.title)]
    return paginate(_head(turn, view.title), _numbered(view.options), _footers(turn, state, menus))


def _join(head: str, options: Sequence[str], footer: str) -> str:
    return "\n".join(part for part in (head, *options, footer) if part)


def fit(text: str, screen: str = "") -> str:
    """Cut text to the budget as a last resort (tests make sure it never happens)."""
    if len(text) <= BUDGET:
        return text
    log.error("ussd: screen %s has %d characters, over the %d budget", screen, len(text), BUDGET)
    return text[: BUDGET - 3] + "..."


def choose(user_input: str, count: int) -> int | None:
    """Return the 0-based index an input picks among `count` options, or None."""
    if not CHOICE.fullmatch(user_input):
        return None
    number = int(user_input)
    return number - 1 if 1 <= number <= count else None
