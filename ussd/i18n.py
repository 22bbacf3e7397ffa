"""Screen texts from the gettext catalogues of the "ussd" domain."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from babel.support import NullTranslations, Translations

from config import PROJECT_ROOT

DOMAIN = "ussd"
LANGUAGES = ("en", "sw")
CATALOGUES = PROJECT_ROOT / "translations"


@cache
def catalogue(lang: str) -> NullTranslations:
    """Load (once per process) the compiled catalogue of `lang`."""
    return Translations.load(str(CATALOGUES), [lang], domain=DOMAIN)


def gettext_for(lang: str) -> Callable[[str], str]:
    """Return the gettext function of `lang` (English when unknown)."""
    return catalogue(lang if lang in LANGUAGES else "en").gettext
