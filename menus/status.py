"""Check document status: the reference, a plain answer, and the answer by SMS when ready.

Bare digits may name applications of several kinds: the caller then says which. The answer is
the sentence the SMS channel uses too (words/documents.py).
"""

from __future__ import annotations

from identifiers.codes import verification_code
from identifiers.references import document_keys
from menus.common import locked, notice
from menus.context import HopContext, HopTurn
from services import status
from sms.outbox import queue_message
from sms.templates import compose, public_code
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.documents import is_ready, kind_name, short_reference, status_text
from words.i18n import N_

DOC_KEY = "doc"
NOT_FOUND = N_("Not found. Check the reference.")


def answer(turn: HopTurn, document: status.Found) -> str:
    """Say in plain words where an application is."""
    ref = short_reference(document.reference)
    return status_text(turn.state.lang, document.kind, document.status, ref, document.centre)


def _document(turn: HopTurn) -> status.Found | None:
    doc_id = int(turn.data.get(DOC_KEY, "0") or 0)
    seen = turn.ctx.documents.get(doc_id)
    return seen if seen is not None else turn.ctx.read(lambda db: status.by_id(db, doc_id))


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
    hop.documents.update((d.id, d) for d in found)
    if len(found) > 1:  # bare digits matching applications of several kinds
        return Go("status.kind", {"docs": ",".join(str(d.id) for d in found)})
    return Go("status.result", {DOC_KEY: str(found[0].id)})


def _locked_view(turn: HopTurn) -> View:
    hop = turn.ctx
    return locked(turn, status.lockout(hop.redis, hop.phone_key, hop.settings))


def _kind_view(turn: HopTurn) -> View:
    ids = [int(i) for i in turn.data.get("docs", "").split(",") if i]
    found = turn.ctx.read(lambda db: status.by_ids(db, ids))
    labels = [kind_name(turn.state.lang, d.kind) for d in found]
    return View(turn.t(N_("Which document?")), labels, values=[str(d.id) for d in found])


def _kind_handle(turn: HopTurn, text: str) -> Outcome:
    doc_id = turn.picked(text)
    return Invalid() if doc_id is None else Go("status.result", {DOC_KEY: doc_id})


def _result_view(turn: HopTurn) -> View:
    document = _document(turn)
    if document is None:
        return View(turn.t(NOT_FOUND), end=True)
    if is_ready(document.status):
        return View(answer(turn, document), [turn.t(N_("Get this by SMS"))])
    return View(answer(turn, document), end=True)


def _result_handle(turn: HopTurn, text: str) -> Outcome:
    document = _document(turn)
    if text != "1" or document is None or not is_ready(document.status):
        return Invalid()
    hop, code = turn.ctx, verification_code()
    body = compose(turn.state.lang, answer(turn, document), code, public_code(hop.settings))
    queue_message(
        hop.work, recipient=hop.phone, body=body, kind="status_sms",
        idempotency_key=f"status:{hop.caller.session_id}:{document.id}",
        document_id=document.id, verification_code=code, language=turn.state.lang,
    )  # fmt: skip
    return Go("status.sent")


NODES: tuple[Node[HopContext], ...] = (
    Node("status.ref", _reference_view, _reference_handle),
    Node("status.kind", _kind_view, _kind_handle),
    Node("status.result", _result_view, _result_handle, acts=True),
    notice("status.sent", lambda turn: turn.t(N_("We will SMS you the answer. Thank you."))),
    Node("status.locked", _locked_view),
)
