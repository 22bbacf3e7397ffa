"""The main menu, the first dial's choice of language, and the language screen."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from menus.common import menu
from menus.context import HopContext, HopTurn
from sms.languages import preferred, remember
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import LANGUAGES, N_

ROOT = "main"
UNCHOSEN = "--"  # the language of a phone that never chose one: its first screen asks
LANGUAGE_CHOICES = (("en", "English"), ("sw", "Kiswahili"))

ITEMS = [
    (N_("Check document status"), "status.ref"),
    (N_("Book appointment"), "book.service"),
    (N_("My appointments"), "mine.list"),
    (N_("Give feedback"), "feedback.start"),
    (N_("Verify an SMS"), "verify.code"),  # item VERIFY_ITEM: SMS print a dial string to it
    (N_("Language / Lugha"), "language"),
]
MAIN = menu(ROOT, N_("Huduma Kenya"), ITEMS)
# Each journey by its screens' first name, as the resume offer says what it resumes.
JOURNEYS = {target.partition(".")[0]: label for label, target in ITEMS}


def chosen_or_ask(session: Session, phone: str) -> str:
    """The language a phone chose, or UNCHOSEN so that its first screen asks in both."""
    return preferred(session, phone) or UNCHOSEN


def _choices(title: str) -> View:
    labels = [label for _, label in LANGUAGE_CHOICES]
    return View(title, labels, values=[code for code, _ in LANGUAGE_CHOICES])


def _main_view(turn: HopTurn) -> View:
    if turn.state.lang not in LANGUAGES:
        return _choices(turn.t(N_("Huduma Kenya. Choose language / Chagua lugha")))
    return MAIN.view(turn)


def _main_handle(turn: HopTurn, text: str) -> Outcome:
    assert MAIN.handle is not None
    if turn.state.lang in LANGUAGES:
        return MAIN.handle(turn, text)
    lang = turn.picked(text)
    if lang is not None:
        return _choose(turn, lang)
    # Not a language: a caller who dialled straight into an item (*...*5*CODE#) is served in
    # the default language.
    outcome = MAIN.handle(turn, text)
    default = turn.ctx.settings.default_language
    return replace(outcome, lang=default) if isinstance(outcome, Go) else outcome


def _choose(turn: HopTurn, lang: str) -> Outcome:
    hop = turn.ctx
    remember(hop.db, hop.phone, lang)
    return Go(ROOT, lang=lang, flash=N_("Language saved."), push=False)


def _language_handle(turn: HopTurn, text: str) -> Outcome:
    lang = turn.picked(text)
    return Invalid() if lang is None else _choose(turn, lang)


LANGUAGE: Node[HopContext] = Node(
    "language", lambda turn: _choices(turn.t(N_("Choose language"))), _language_handle, acts=True
)
NODES: tuple[Node[HopContext], ...] = (Node(ROOT, _main_view, _main_handle), LANGUAGE)
