"""The pure engine: advance a session state by one input; no Flask, Redis or SDK in here.

A screen is built once, when the caller arrives on it: its title, the options as shown, the
value each option stands for and where its pages break are kept in the state. A later input on
that screen (a choice, More, Back, an invalid key) works on what the caller saw, never on a list
loaded again, so the number pressed is always the option shown.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Generic, TypeVar

from words.i18n import N_, Gettext

BUDGET = 160
MAX_INVALID = 3
MAX_REBUILT = 20  # inputs replayed at most when a lost session is rebuilt
BACK, HOME, MORE = "0", "00", "98"
RESUME = "resume"
CHOICE = re.compile(r"[0-9]{1,3}")  # ASCII only: "²".isdigit() is True but int("²") fails
INVALID = N_("Invalid choice.")
# The navigation under a page (marked here: the catalogue extractor reads no f-string).
BACK_LABEL, MENU_LABEL, MORE_LABEL = N_("Back"), N_("Menu"), N_("More")
GOODBYE = N_("Too many invalid entries. Goodbye.")
RESUME_WHAT = N_("Continue where you left off: {what}?")
log = logging.getLogger(__name__)
C = TypeVar("C")


@dataclass(slots=True)
class State:
    """Where a caller is, what the current screen shows, and the way back."""

    screen: str = ""
    data: dict[str, str] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    lang: str = "en"
    invalid: int = 0
    page: int = 0
    hop: int = 0
    flash: str = ""
    title: str = ""
    labels: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)  # index of each page's first option

    def dumps(self) -> str:
        """Serialise to a short JSON string."""
        found = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict deep-copies: slow
        return json.dumps(found, separators=(",", ":"))

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
    """A screen's content before numbering, paging and navigation are added.

    `values` are what each option stands for (ids, dates); without them an option's value is
    its position, "0" for the first. `notes` are the reasons an input here may be refused
    beyond "Invalid choice", so pages leave room for the longest.
    """

    title: str
    options: Sequence[str] = ()
    end: bool = False
    values: Sequence[str] = ()
    notes: Sequence[str] = ()


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
    """Stay on this screen, as shown, and say why."""

    reason: str = INVALID


@dataclass(frozen=True, slots=True)
class Again:
    """Build this screen afresh (what it listed has changed) and say why."""

    reason: str


Outcome = Go | Invalid | Again


@dataclass(slots=True)
class Turn(Generic[C]):
    """What a screen's functions see: the state, the hop's context and the translator."""

    state: State
    ctx: C
    gettext: Gettext

    @property
    def data(self) -> dict[str, str]:
        return self.state.data

    def t(self, msgid: str, **values: object) -> str:
        """Translate `msgid` into the caller's language and fill in values."""
        text = self.gettext(msgid)
        return text.format(**values) if values else text

    def picked(self, text: str) -> str | None:
        """The value of the option `text` picks among those shown, or None."""
        index = choose(text, len(self.state.labels))
        return None if index is None else self.state.values[index]


@dataclass(frozen=True, slots=True)
class Node(Generic[C]):
    """A screen: how it looks and what an input on it does."""

    id: str
    view: Callable[[Turn[C]], View]
    handle: Callable[[Turn[C], str], Outcome] | None = None
    acts: bool = False  # an input here may book, cancel, store or send something


@dataclass(frozen=True, slots=True)
class Menus(Generic[C]):
    """The screens of one service: their nodes, the root and the catalogues.

    `journeys` names each journey by the first part of its screens' ids ("book" for
    "book.day"), so the resume offer can say what it resumes.
    """

    nodes: Mapping[str, Node[C]]
    root: str
    translator: Callable[[str], Gettext]
    journeys: Mapping[str, str] = field(default_factory=dict)

    def turn(self, state: State, ctx: C) -> Turn[C]:
        """The turn one screen function gets."""
        return Turn(state, ctx, self.translator(state.lang))

    def node(self, screen: str) -> Node[C]:
        """The node of `screen` (the resume offer is the engine's own)."""
        return _RESUME_NODE if screen == RESUME else self.nodes[screen]  # type: ignore[return-value]


def _resume_view(turn: Turn[object]) -> View:
    what = turn.data.get("what", "")
    title = turn.t(RESUME_WHAT, what=turn.t(what)) if what else turn.t(N_("Continue?"))
    return View(title, [turn.t(N_("Continue")), turn.t(N_("Start again"))])


_RESUME_NODE: Node[object] = Node(RESUME, _resume_view)


def start(menus: Menus[C], ctx: C, lang: str) -> tuple[State, Screen]:
    """Open a new session on the root screen."""
    state = State(screen=menus.root, lang=lang)
    return state, enter(state, menus, ctx)


def offer_resume(saved: State, menus: Menus[C], ctx: C) -> tuple[State, Screen]:
    """Open a new session that offers to continue a dropped one."""
    what = menus.journeys.get(saved.screen.partition(".")[0], "")
    state = State(screen=RESUME, lang=saved.lang, data={"saved": saved.dumps(), "what": what})
    return state, enter(state, menus, ctx)


def _resume(state: State, text: str, menus: Menus[C], ctx: C) -> tuple[State, Screen] | None:
    """Continue the dropped session as it was shown, or start again; None for other input."""
    if text == "1":
        restored = State.loads(state.data["saved"])
        restored.hop, restored.invalid = state.hop, 0
        return restored, show(restored, menus, ctx)
    if text in ("2", HOME, BACK):
        fresh = State(screen=menus.root, lang=state.lang, hop=state.hop)
        return fresh, enter(fresh, menus, ctx)
    return None


def advance(state: State, user_input: str, menus: Menus[C], ctx: C) -> tuple[State, Screen]:
    """Apply one input to `state` and return the next state and screen."""
    state.hop += 1
    text = user_input.strip()
    resumed = _resume(state, text, menus, ctx) if state.screen == RESUME else None
    if resumed is not None:
        return resumed
    screen = _navigate(state, text, menus, ctx)
    if screen is not None:
        return state, screen
    node = menus.node(state.screen)
    outcome = node.handle(menus.turn(state, ctx), text) if node.handle else Invalid()
    if isinstance(outcome, Invalid):
        return state, _invalid(state, outcome.reason, menus, ctx)
    if isinstance(outcome, Again):
        state.flash, state.page = outcome.reason, 0
        return state, enter(state, menus, ctx)
    return state, go(state, outcome, menus, ctx)


def rebuild(menus: Menus[C], ctx: C, lang: str, inputs: Sequence[str]) -> tuple[State, Screen]:
    """Replay a lost session's inputs from the root, stopping on the first screen that acts."""
    state, screen = start(menus, ctx, lang)
    for piece in inputs[:MAX_REBUILT]:
        if screen.end or menus.node(state.screen).acts:
            break  # a guess must never book, cancel or send: show the screen and let them choose
        state, screen = advance(state, piece, menus, ctx)
    return state, screen


def _navigate(state: State, text: str, menus: Menus[C], ctx: C) -> Screen | None:
    if text == HOME and state.screen != menus.root:
        state.screen, state.stack, state.data = menus.root, [], {}
        return enter(state, menus, ctx)
    if text == BACK and state.page > 0:
        return _turn_page(state, -1, menus, ctx)
    if text == BACK and state.stack:
        state.screen = state.stack.pop()
        if state.screen == menus.root:
            state.data = {}
        return enter(state, menus, ctx)
    if text == MORE and state.page + 1 < len(state.breaks):
        return _turn_page(state, 1, menus, ctx)
    return None


def _turn_page(state: State, step: int, menus: Menus[C], ctx: C) -> Screen:
    # Paging is a valid input: the count of invalid inputs in a row starts again.
    state.page, state.invalid = state.page + step, 0
    return show(state, menus, ctx)


def _invalid(state: State, reason: str, menus: Menus[C], ctx: C) -> Screen:
    state.invalid += 1
    if state.invalid >= MAX_INVALID:
        return Screen(state.screen, menus.turn(state, ctx).t(GOODBYE), True)
    state.flash = reason
    return show(state, menus, ctx)


def go(state: State, outcome: Go, menus: Menus[C], ctx: C) -> Screen:
    """Apply a move and build the screen it lands on."""
    if menus.root in (outcome.to, state.screen):
        state.data = {}  # a journey starts and ends at the main menu: nothing carries over
    if outcome.to == menus.root:
        state.stack.clear()
    elif outcome.to in state.stack:
        del state.stack[state.stack.index(outcome.to) :]
    elif outcome.push and outcome.to != state.screen:
        state.stack.append(state.screen)
    state.screen, state.invalid = outcome.to, 0
    state.data.update(outcome.data)
    state.flash = outcome.flash
    if outcome.lang:
        state.lang = outcome.lang
    return enter(state, menus, ctx)


def enter(state: State, menus: Menus[C], ctx: C) -> Screen:
    """Build the current screen from its view (once) and show its first page."""
    turn = menus.turn(state, ctx)
    view = menus.node(state.screen).view(turn)
    state.page = 0
    if view.end:
        head = _head(turn, view.title)
        state.flash, state.title, state.labels, state.values, state.breaks = "", "", [], [], []
        return Screen(state.screen, fit(head, state.screen), True)
    state.title, state.labels = view.title, list(view.options)
    state.values = list(view.values) or [str(n) for n in range(len(view.options))]
    footer = _footer_of(turn, state, menus)
    # Pages leave room for a note above the title, so a refused key never pushes a page over.
    notes = [state.flash, INVALID, *view.notes]
    note = max((turn.t(note) for note in notes if note), key=len)
    state.breaks = paginate(f"{note}\n{view.title}", _numbered(state.labels), footer)
    return show(state, menus, ctx)


def show(state: State, menus: Menus[C], ctx: C) -> Screen:
    """Show the current page of the current screen, as it was built (no data is read)."""
    turn = menus.turn(state, ctx)
    footer = _footer_of(turn, state, menus)
    text = page_text(state, _head(turn, state.title), footer)
    if (
        len(text) > BUDGET and state.flash
    ):  # the page was cut to fit its title: the note replaces it
        text = page_text(state, turn.t(state.flash), footer)
    state.flash = ""
    return Screen(state.screen, fit(text, state.screen), False)


Footer = Callable[[int, bool], str]  # (page index, more pages after it) -> footer line


def page_text(state: State, head: str, footer: Footer) -> str:
    """The text of the current page under `head`."""
    numbered = _numbered(state.labels)
    page = min(state.page, max(len(state.breaks) - 1, 0))
    first = state.breaks[page] if state.breaks else 0
    more = page + 1 < len(state.breaks)
    last = state.breaks[page + 1] if more else len(numbered)
    return _join(head, numbered[first:last], footer(page, more))


def _head(turn: Turn[C], title: str) -> str:
    flash = turn.t(turn.state.flash) if turn.state.flash else ""
    return f"{flash}\n{title}" if flash else title


def _numbered(options: Sequence[str]) -> list[str]:
    return [f"{number}. {label}" for number, label in enumerate(options, start=1)]


def _footer_of(turn: Turn[C], state: State, menus: Menus[C]) -> Footer:
    """Navigation under a page: More when pages follow; Back to the previous page or screen."""
    back = f"{BACK}.{turn.t(BACK_LABEL)}"
    home = f"{HOME}.{turn.t(MENU_LABEL)}" if state.screen != menus.root else ""
    more = f"{MORE}.{turn.t(MORE_LABEL)}"

    def footer(page: int, has_more: bool) -> str:
        parts = [more if has_more else "", back if page > 0 or state.stack else "", home]
        return " ".join(part for part in parts if part)

    return footer


def paginate(head: str, options: list[str], footer: Footer) -> list[int]:
    """Cut options into pages that fit the budget, never inside an option; return page starts."""
    breaks: list[int] = []
    start = 0
    while True:
        page = len(breaks)
        breaks.append(start)
        rest = options[start:]
        if len(rest) <= 1 or len(_join(head, rest, footer(page, False))) <= BUDGET:
            return breaks
        take = 1
        while take < len(rest) and len(_join(head, rest[: take + 1], footer(page, True))) <= BUDGET:
            take += 1
        start += take


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
