"""Citizen texts from the gettext catalogues of the "ussd" domain (screens and SMS alike)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from babel.support import NullTranslations, Translations

from config import PROJECT_ROOT

DOMAIN = "ussd"
LANGUAGES = ("en", "sw")
CATALOGUES = PROJECT_ROOT / "translations"
N_ = str  # marks a msgid for extraction; translated when the text is rendered
Gettext = Callable[[str], str]


@cache
def catalogue(lang: str) -> NullTranslations:
    """Load (once per process) the compiled catalogue of `lang`."""
    return Translations.load(str(CATALOGUES), [lang], domain=DOMAIN)


def gettext_for(lang: str) -> Gettext:
    """Return the gettext function of `lang` (English when unknown)."""
    return catalogue(lang if lang in LANGUAGES else "en").gettext


def say(lang: str, msgid: str, **values: object) -> str:
    """Translate `msgid` into `lang` and fill in `values`."""
    text = gettext_for(lang)(msgid)
    return text.format(**values) if values else text
