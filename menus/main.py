"""The main menu and the language screen."""

from __future__ import annotations

from menus.common import menu
from menus.context import HopContext, HopTurn
from sms.languages import remember
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import N_

ROOT = "main"
LANGUAGE_CHOICES = (("en", "English"), ("sw", "Kiswahili"))

MAIN = menu(
    ROOT,
    N_("Huduma Kenya"),
    [
        (N_("Check document status"), "status.ref"),
        (N_("Book appointment"), "book.service"),
        (N_("My appointments"), "mine.list"),
        (N_("Give feedback"), "feedback.start"),
        (N_("Verify an SMS"), "verify.code"),
        (N_("Language / Lugha"), "language"),
    ],
)


def _language_view(turn: HopTurn) -> View:
    return View(
        turn.t(N_("Choose language")),
        [label for _, label in LANGUAGE_CHOICES],
        values=[code for code, _ in LANGUAGE_CHOICES],
    )


def _language_handle(turn: HopTurn, text: str) -> Outcome:
    lang = turn.picked(text)
    if lang is None:
        return Invalid()
    hop = turn.ctx
    remember(hop.db, hop.phone, lang)
    return Go(ROOT, lang=lang, flash=N_("Language saved."), push=False)


LANGUAGE: Node[HopContext] = Node("language", _language_view, _language_handle, acts=True)
NODES: tuple[Node[HopContext], ...] = (MAIN, LANGUAGE)
