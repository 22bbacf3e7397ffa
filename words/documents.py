"""How a document and its status are told to citizens: the same sentence on USSD and by SMS.

Each kind has its own "ready" sentence, so translations can make the verb agree with the
noun's class (Kitambulisho kiko, Leseni iko). Other statuses speak of the application.
"""

from __future__ import annotations

from words.i18n import N_, say

KINDS = {
    "ID_CARD": N_("ID card"),
    "BIRTH_CERTIFICATE": N_("Birth certificate"),
    "DEATH_CERTIFICATE": N_("Death certificate"),
    "GOOD_CONDUCT": N_("Good conduct certificate"),
    "DRIVING_LICENCE": N_("Driving licence"),
    "PASSPORT": N_("Passport"),
}
READY = {
    "ID_CARD": N_("Your ID card {ref} is ready for collection at {centre}. "
                  "Bring your waiting card. FREE."),
    "BIRTH_CERTIFICATE": N_("Your birth certificate {ref} is ready for collection at "
                            "{centre}. Bring your ID. FREE."),
    "DEATH_CERTIFICATE": N_("The death certificate {ref} is ready for collection at "
                            "{centre}. Bring your ID. FREE."),
    "DRIVING_LICENCE": N_("Your driving licence {ref} is ready for collection at {centre}. "
                          "Bring your ID. FREE."),
    "PASSPORT": N_("Your passport {ref} is ready for collection at {centre}. "
                   "Bring your ID and old passport. FREE."),
}  # fmt: skip
# The certificate of good conduct is never collected: it is downloaded, whatever the status.
GOOD_CONDUCT = N_("Your good conduct certificate {ref} is ready. Download it on eCitizen. "
                  "It is FREE.")  # fmt: skip
ONLINE = N_("Application {ref}: ready on eCitizen. Log in there to download it. It is FREE.")
OTHER = {
    "SUBMITTED": N_("Application {ref}: received. We will SMS you when it is ready."),
    "PROCESSING": N_("Application {ref}: being processed. We will SMS you when it is ready."),
    "DISPATCHED": N_("Application {ref}: on its way to {centre}. We will SMS you when ready."),
    "NEEDS_ACTION": N_("Application {ref}: needs action from you. Visit {centre} or call 1919."),
    "REJECTED": N_("Application {ref}: not approved. Visit {centre} or call 1919."),
    "COLLECTED": N_("Application {ref}: already collected. If not by you, call 1919."),
}
# What is still waiting, for reminders: shorter than the notice, so each stays one SMS part.
WAITING = {
    "ID_CARD": N_("Reminder {number}/{total}: your ID card {ref} is still waiting at {centre}. "
                  "FREE."),
    "BIRTH_CERTIFICATE": N_("Reminder {number}/{total}: your birth certificate {ref} is still "
                            "waiting at {centre}. FREE."),
    "DEATH_CERTIFICATE": N_("Reminder {number}/{total}: the death certificate {ref} is still "
                            "waiting at {centre}. FREE."),
    "DRIVING_LICENCE": N_("Reminder {number}/{total}: your driving licence {ref} is still "
                          "waiting at {centre}. FREE."),
    "PASSPORT": N_("Reminder {number}/{total}: your passport {ref} is still waiting at "
                   "{centre}. FREE."),
    "GOOD_CONDUCT": N_("Reminder {number}/{total}: your good conduct certificate {ref} is on "
                       "eCitizen. Download it, FREE."),
}  # fmt: skip
READY_STATUSES = ("READY_FOR_COLLECTION", "AVAILABLE_ON_ECITIZEN")


def is_ready(status: str) -> bool:
    """True when the document can be collected or downloaded."""
    return status in READY_STATUSES


def status_text(lang: str, kind: str, status: str, ref: str, centre: str) -> str:
    """Say in plain words where an application is (`centre` may be empty)."""
    return say(lang, sentence(kind, status), ref=ref, centre=centre or "Huduma")


def sentence(kind: str, status: str) -> str:
    """The message id of what a document of `kind` in `status` is told."""
    if kind == "GOOD_CONDUCT" and is_ready(status):
        return GOOD_CONDUCT
    if status == "AVAILABLE_ON_ECITIZEN":
        return ONLINE
    if status == "READY_FOR_COLLECTION":
        return READY.get(kind, READY["ID_CARD"])
    return OTHER.get(status, OTHER["PROCESSING"])


def waiting_text(lang: str, kind: str, ref: str, centre: str, count_of: tuple[int, int]) -> str:
    """Reminder `number` of `total` that a document still waits for its owner."""
    number, total = count_of
    text = WAITING.get(kind, WAITING["ID_CARD"])
    return say(lang, text, number=number, total=total, ref=ref, centre=centre or "Huduma")


def kind_name(lang: str, kind: str) -> str:
    """A document kind as a list shows it: ID card, Passport."""
    return say(lang, KINDS.get(kind, KINDS["ID_CARD"]))


def short_reference(reference: str) -> str:
    """A reference as told to whoever asked: its last three characters only (***913)."""
    return "***" + reference[-3:]
