"""Verify a message: did Huduma send this number an SMS with this code or reference?

The dial string printed on every SMS (*...*5*CODE#) lands here with the code already typed.
"""

from __future__ import annotations

from menus.common import day_text, locked, notice
from menus.context import HopContext, HopTurn
from services import verification
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import N_

NOT_SENT = N_("Huduma sent this number no SMS with that code. If you got one, it is fake: Huduma "
              "never asks for fees. Report it: call 1919.")  # fmt: skip


def _handle(turn: HopTurn, text: str) -> Outcome:
    if not verification.looks_like_code(text):
        return Invalid(N_("Type the code or the reference printed on the SMS."))
    hop = turn.ctx
    if not verification.allow_check(hop.redis, hop.phone_key, _per_hour(turn)):
        return Go("verify.locked")
    found = hop.read(lambda db: verification.find(db, text, hop.phone))
    return Go("verify.genuine", {"msg": str(found.message_id)}) if found else Go("verify.fake")


def _per_hour(turn: HopTurn) -> int:
    return turn.ctx.settings.ussd_verify_checks_per_hour


def _wait(turn: HopTurn) -> int:
    hop = turn.ctx
    return verification.wait(hop.redis, hop.phone_key, _per_hour(turn))


def _code_view(turn: HopTurn) -> View:
    wait = _wait(turn)
    prompt = N_("Enter the code or reference printed on the SMS")
    return locked(turn, wait) if wait else View(turn.t(prompt))


def _genuine(turn: HopTurn) -> str:
    message_id = int(turn.data.get("msg", "0") or 0)
    found = turn.ctx.read(lambda db: verification.by_id(db, message_id))
    if found is None:
        return turn.t(N_("Not found."))
    when = day_text(turn, found.sent_on.astimezone(turn.ctx.tz).date())
    return turn.t(N_("Genuine Huduma SMS of {when}: {gist}"), when=when, gist=found.gist)


NODES: tuple[Node[HopContext], ...] = (
    Node("verify.code", _code_view, _handle),
    notice("verify.genuine", _genuine),
    Node("verify.locked", lambda turn: locked(turn, _wait(turn))),
    notice("verify.fake", lambda turn: turn.t(NOT_SENT)),
)
