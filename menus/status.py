"""Check document status: the reference, a plain answer, and the answer by SMS when ready.

Bare digits may name applications of several kinds: the caller then says which.
"""

from __future__ import annotations

from identifiers.codes import new_code
from identifiers.references import document_keys
from menus.common import locked, notice
from menus.context import HopContext, HopTurn
from models import DocumentKind, DocumentStatus
from services import status
from sms.outbox import queue_message
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import N_

K, S = DocumentKind, DocumentStatus
KINDS = {
    K.ID_CARD: N_("ID card"),
    K.BIRTH_CERTIFICATE: N_("Birth certificate"),
    K.DEATH_CERTIFICATE: N_("Death certificate"),
    K.GOOD_CONDUCT: N_("Good conduct certificate"),
    K.DRIVING_LICENCE: N_("Driving licence"),
    K.PASSPORT: N_("Passport"),
}
READY = {
    K.ID_CARD: N_("Your ID card (ref {ref}) is ready for collection at {centre}. "
                  "Bring your waiting card. Collection is FREE."),
    K.BIRTH_CERTIFICATE: N_("Your birth certificate (ref {ref}) is ready for collection at "
                            "{centre}. Bring your ID. Collection is FREE."),
    K.DEATH_CERTIFICATE: N_("Your death certificate (ref {ref}) is ready for collection at "
                            "{centre}. Bring your ID. Collection is FREE."),
    K.DRIVING_LICENCE: N_("Your driving licence (ref {ref}) is ready for collection at "
                          "{centre}. Bring your ID. Collection is FREE."),
    K.PASSPORT: N_("Your passport (ref {ref}) is ready for collection at {centre}. "
                   "Bring your ID and old passport. FREE."),
    K.GOOD_CONDUCT: N_("Your good conduct certificate (ref {ref}) is ready. "
                       "Download it on eCitizen. It is FREE."),
}  # fmt: skip
READY_SCREEN = {  # the caller has just typed the kind and reference: the screen leaves them out
    K.ID_CARD: N_("Your ID card is ready for collection at {centre}. Bring your waiting card. "
                  "FREE."),
    K.BIRTH_CERTIFICATE: N_("Your birth certificate is ready for collection at {centre}. "
                            "Bring your ID. FREE."),
    K.DEATH_CERTIFICATE: N_("Your death certificate is ready for collection at {centre}. "
                            "Bring your ID. FREE."),
    K.DRIVING_LICENCE: N_("Your driving licence is ready for collection at {centre}. "
                          "Bring your ID. FREE."),
    K.PASSPORT: N_("Your passport is ready at {centre}. Bring your ID and old passport. FREE."),
    K.GOOD_CONDUCT: N_("Your good conduct certificate is ready. Download it on eCitizen. "
                       "It is FREE."),
}  # fmt: skip
OTHER = {
    S.SUBMITTED: N_("Application {ref}: received. We will SMS you when it is ready."),
    S.PROCESSING: N_("Application {ref}: being processed. We will SMS you when it is ready."),
    S.DISPATCHED: N_("Application {ref}: on its way to {centre}. We will SMS you when ready."),
    S.NEEDS_ACTION: N_("Application {ref}: needs action from you. Visit {centre} or call 1919."),
    S.REJECTED: N_("Application {ref}: not approved. Visit {centre} or call 1919."),
    S.COLLECTED: N_("Application {ref}: already collected. If not by you, call 1919."),
}
DOC_KEY = "doc"
NOT_FOUND = N_("Not found. Check the reference.")


def answer(turn: HopTurn, document: status.Found) -> str:
    """Say in plain words where an application is."""
    centre = document.centre or "Huduma"
    ref = status.mask_reference(document.reference)
    if is_ready(document):
        return turn.t(READY[K(document.kind)], ref=ref, centre=centre)
    return turn.t(OTHER.get(S(document.status), OTHER[S.PROCESSING]), ref=ref, centre=centre)


def is_ready(document: status.Found) -> bool:
    """Return True when the document can be collected or downloaded."""
    return document.status in (S.READY_FOR_COLLECTION, S.AVAILABLE_ON_ECITIZEN)


def _document(turn: HopTurn) -> status.Found | None:
    doc_id = int(turn.data.get(DOC_KEY, "0") or 0)
    return turn.ctx.read(lambda db: status.by_id(db, doc_id))


def _reference_view(turn: HopTurn) -> View:
    hop = turn.ctx
    wait = status.lockout(hop.redis, hop.phone_key, hop.settings)
    if wait:
        return locked(turn, wait)
    return View(turn.t(N_("Enter the reference number, e.g. HK-ID-123456 or 123456")))


def _reference_handle(turn: HopTurn, text: str) -> Outcome:
    hop = turn.ctx
    if not document_keys(text):
        return Invalid(NOT_FOUND)  # nothing that could be a reference: not a lookup
    gate = status.gate(hop.redis, hop.phone_key, hop.settings)
    if gate is not status.Gate.OPEN:
        return Go("status.locked")
    found = hop.read(lambda db: status.find(db, text))
    if not found:
        if status.record_miss(hop.redis, hop.phone_key, hop.settings):
            return Go("status.locked")
        return Invalid(NOT_FOUND)
    if len(found) > 1:  # bare digits matching applications of several kinds
        return Go("status.kind", {"docs": ",".join(str(d.id) for d in found)})
    return Go("status.result", {DOC_KEY: str(found[0].id)})


def _locked_view(turn: HopTurn) -> View:
    hop = turn.ctx
    return locked(turn, status.lockout(hop.redis, hop.phone_key, hop.settings))


def _kind_view(turn: HopTurn) -> View:
    ids = [int(i) for i in turn.data.get("docs", "").split(",") if i]
    found = turn.ctx.read(lambda db: status.by_ids(db, ids))
    labels = [turn.t(KINDS[K(d.kind)]) for d in found]
    return View(turn.t(N_("Which document?")), labels, values=[str(d.id) for d in found])


def _kind_handle(turn: HopTurn, text: str) -> Outcome:
    doc_id = turn.picked(text)
    return Invalid() if doc_id is None else Go("status.result", {DOC_KEY: doc_id})


def _result_view(turn: HopTurn) -> View:
    document = _document(turn)
    if document is None:
        return View(turn.t(NOT_FOUND), end=True)
    if is_ready(document):
        text = turn.t(READY_SCREEN[K(document.kind)], centre=document.centre or "Huduma")
        return View(text, [turn.t(N_("Get this by SMS"))])
    return View(answer(turn, document), end=True)


def _result_handle(turn: HopTurn, text: str) -> Outcome:
    document = _document(turn)
    if text != "1" or document is None or not is_ready(document):
        return Invalid()
    hop = turn.ctx
    queue_message(
        hop.work,
        recipient=hop.phone,
        body=sms_body(turn, answer(turn, document)),
        kind="status_sms",
        idempotency_key=f"status:{hop.caller.session_id}:{document.id}",
        document_id=document.id,
        verification_code=new_code(),
        language=turn.state.lang,
    )
    return Go("status.sent")


def sms_body(turn: HopTurn, text: str) -> str:
    """Wrap a screen text as a Huduma SMS."""
    help_line = turn.t(N_("Help: 1919"))
    return f"HUDUMA: {text} {help_line}"


NODES: tuple[Node[HopContext], ...] = (
    Node("status.ref", _reference_view, _reference_handle),
    Node("status.kind", _kind_view, _kind_handle),
    Node("status.result", _result_view, _result_handle, acts=True),
    notice("status.sent", lambda turn: turn.t(N_("We will SMS you the answer. Thank you."))),
    Node("status.locked", _locked_view),
)
