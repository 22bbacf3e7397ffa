"""The main menu and the language screen."""

from __future__ import annotations

from menus.common import ctx, menu
from services.languages import remember
from ussd.engine import N_, Go, Invalid, Node, Outcome, Turn, View, choose

ROOT = "main"
LANGUAGE_CHOICES = (("en", "English"), ("sw", "Kiswahili"))

MAIN = menu(
    ROOT,
    N_("Huduma Kenya"),
    [
        (N_("Check document status"), "status.kind"),
        (N_("Book appointment"), "book.service"),
        (N_("My appointments"), "mine.list"),
        (N_("Give feedback"), "feedback.start"),
        (N_("Verify an SMS"), "verify.code"),
        (N_("Language / Lugha"), "language"),
    ],
)


def _language_view(turn: Turn) -> View:
    return View(turn.t(N_("Choose language")), [label for _, label in LANGUAGE_CHOICES])


def _language_handle(turn: Turn, text: str) -> Outcome:
    index = choose(text, len(LANGUAGE_CHOICES))
    if index is None:
        return Invalid()
    lang = LANGUAGE_CHOICES[index][0]
    hop = ctx(turn)
    remember(hop.db, hop.phone, lang)
    return Go(ROOT, lang=lang, flash=N_("Language saved."), push=False)


LANGUAGE = Node("language", _language_view, _language_handle, acts=True)
NODES = (MAIN, LANGUAGE)
