"""How every SMS is framed: the Huduma mark, the body, how to check it is genuine, help.

The bodies come from the same gettext catalogues as the USSD screens (words/). Each SMS carries
a short code and the dial string that checks it in one go; the help line is left out only when
that keeps the SMS to one GSM-7 part.
"""

from __future__ import annotations

from config import Settings
from sms.segments import count
from words.i18n import LANGUAGES, N_, say

VERIFY_ITEM = "5"  # the main menu's "Verify an SMS": the dial string goes straight to it
VERIFY = N_("Verify: dial {dial}")
CODE = N_("Code {code}")  # when no service code is configured to dial
HELP = N_("Help: 1919")
OPT_OUT = N_("Reply STOP to opt out.")


def language_of(language: str) -> str:
    """Fall back to English for anything but Kiswahili."""
    return language if language in LANGUAGES else "en"


def public_code(settings: Settings) -> str:
    """The USSD service code an SMS tells people to dial ("" when none is configured)."""
    return settings.ussd_service_codes[0] if settings.ussd_service_codes else ""


def verify_dial(service_code: str, code: str) -> str:
    """The dial string that checks `code` at once: *384*1919# -> *384*1919*5*123456#."""
    return f"{service_code.removesuffix('#')}*{VERIFY_ITEM}*{code}#"


def compose(lang: str, body: str, code: str, service_code: str) -> str:
    """A Huduma SMS: one part when the text allows it, the help line left out if that does it."""
    lang = language_of(lang)
    if service_code:
        check = say(lang, VERIFY, dial=verify_dial(service_code, code))
    else:
        check = say(lang, CODE, code=code)
    full = f"HUDUMA: {body} {check} {say(lang, HELP)}"
    if count(full).parts == 1:
        return full
    short = f"HUDUMA: {body} {check}"
    return short if count(short).parts == 1 else full


def with_opt_out(body: str, language: str) -> str:
    """Append the opt-out line awareness messages must carry."""
    return f"{body} {say(language_of(language), OPT_OUT)}"
