"""SMS texts in English and Kiswahili: plain GSM-7, one part with realistic values."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "sw")


@dataclass(frozen=True, slots=True)
class KindWords:
    """How a document kind reads inside a sentence, with Kiswahili agreement."""

    en: str
    sw: str
    sw_verb: str
    bring_en: str
    bring_sw: str


KINDS = {
    "ID_CARD": KindWords("ID card", "Kitambulisho chako", "kiko", "your waiting card",
                         "kadi ya kusubiri"),
    "BIRTH_CERTIFICATE": KindWords("birth certificate", "Cheti chako cha kuzaliwa", "kiko",
                                   "ID card", "kitambulisho"),
    "DEATH_CERTIFICATE": KindWords("death certificate", "Cheti cha kifo", "kiko",
                                   "ID card", "kitambulisho"),
    "GOOD_CONDUCT": KindWords("good conduct certificate", "Cheti cha tabia njema", "kiko",
                              "ID card", "kitambulisho"),
    "DRIVING_LICENCE": KindWords("driving licence", "Leseni yako ya udereva", "iko",
                                 "ID card", "kitambulisho"),
    "PASSPORT": KindWords("passport", "Pasipoti yako", "iko", "ID card", "kitambulisho"),
}  # fmt: skip

STATUS_WORDS = {
    "SUBMITTED": ("received", "imepokelewa"),
    "PROCESSING": ("being processed", "inashughulikiwa"),
    "NEEDS_ACTION": ("needs action, call 1919", "inahitaji hatua, piga 1919"),
    "REJECTED": ("rejected, call 1919", "imekataliwa, piga 1919"),
    "DISPATCHED": ("on its way to the centre", "inasafirishwa kwenda kituoni"),
    "READY_FOR_COLLECTION": ("ready for collection", "tayari kuchukuliwa"),
    "AVAILABLE_ON_ECITIZEN": ("available on eCitizen", "inapatikana eCitizen"),
    "COLLECTED": ("collected", "imechukuliwa"),
}

TEXTS: dict[str, dict[str, str]] = {
    "ready": {
        "en": "HUDUMA: Your {kind} {ref} is ready at {centre}. "
        "Bring {bring}. Collection is FREE. Code {code}. Help: 1919",
        "sw": "HUDUMA: {kind} {ref} {verb} tayari kuchukuliwa {centre}. "
        "Beba {bring}. Ni BURE. Msimbo {code}. Msaada: 1919",
    },
    "ecitizen": {
        "en": "HUDUMA: Your {kind} {ref} is ready to download on eCitizen. "
        "It is FREE. Code {code}. Help: 1919",
        "sw": "HUDUMA: {kind} (ombi {ref}) {verb} tayari kupakuliwa eCitizen. "
        "Ni BURE. Msimbo {code}. Msaada: 1919",
    },
    "uncollected": {
        "en": "HUDUMA reminder: your {kind} {ref} is waiting at {centre}. "
        "Bring {bring}. Collection is FREE. Help: 1919",
        "sw": "HUDUMA kumbusho: {kind} (ombi {ref}) {verb} tayari {centre}. "
        "Beba {bring}. Ni BURE. Msaada: 1919",
    },
    "booking_reminder": {
        "en": "HUDUMA reminder: appointment {ref} tomorrow {when}, {centre} ({service}). "
        "Show this SMS at the gate. Help: 1919",
        "sw": "HUDUMA kumbusho: miadi {ref} kesho {when}, {centre} ({service}). "
        "Onyesha SMS hii langoni. Msaada: 1919",
    },
    "status": {
        "en": "HUDUMA: Your {kind} (ref {ref}) is {status}. Help: 1919",
        "sw": "HUDUMA: {kind} (ombi {ref}): {status}. Msaada: 1919",
    },
    "not_found": {
        "en": "HUDUMA: No application {ref} found. Check the ref and try again, or call 1919.",
        "sw": "HUDUMA: Ombi {ref} halikupatikana. Angalia nambari ujaribu tena, au piga 1919.",
    },
    "help": {
        "en": "HUDUMA: Send STATUS <ref> to check an application, STOP to stop awareness SMS, "
        "START to get them again. Help: 1919",
        "sw": "HUDUMA: Tuma HALI <nambari ya ombi> kuangalia ombi, ACHA kusitisha SMS za "
        "taarifa, START kuzipata tena. Msaada: 1919",
    },
    "stopped": {
        "en": "HUDUMA: You will get no more awareness SMS. Send START to get them again. "
        "Help: 1919",
        "sw": "HUDUMA: Hutapokea tena SMS za taarifa. Tuma START kuzipata tena. Msaada: 1919",
    },
    "data_request": {
        "en": "HUDUMA: We got your request about your personal data. The contact centre will "
        "call you back on this number. Help: 1919",
        "sw": "HUDUMA: Tumepokea ombi lako kuhusu taarifa zako binafsi. Kituo cha simu "
        "kitakupigia kwa nambari hii. Msaada: 1919",
    },
    "started": {
        "en": "HUDUMA: Awareness SMS are back on. Send STOP to stop them. Help: 1919",
        "sw": "HUDUMA: SMS za taarifa zimerudi. Tuma ACHA kuzisitisha. Msaada: 1919",
    },
}

OPT_OUT_LINE = {"en": " Reply STOP to opt out.", "sw": " Jibu ACHA kusitisha."}


def language_of(language: str) -> str:
    """Fall back to English for anything but Kiswahili."""
    return language if language in LANGUAGES else "en"


def render(name: str, language: str, **values: str) -> str:
    """Fill template `name` in `language` with `values`."""
    return TEXTS[name][language_of(language)].format(**values)


def kind_values(kind: str, language: str) -> dict[str, str]:
    """The words for a document kind: its name, verb and what to bring."""
    words = KINDS.get(kind, KINDS["ID_CARD"])
    if language_of(language) == "sw":
        return {"kind": words.sw, "verb": words.sw_verb, "bring": words.bring_sw}
    return {"kind": words.en, "verb": "is", "bring": words.bring_en}


def status_words(status: str, language: str) -> str:
    """A document status in plain words."""
    en, sw = STATUS_WORDS.get(status, (status.lower(), status.lower()))
    return sw if language_of(language) == "sw" else en


def with_opt_out(body: str, language: str) -> str:
    """Append the opt-out line awareness messages must carry."""
    return body + OPT_OUT_LINE[language_of(language)]
