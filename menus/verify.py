"""Verify a message: is an SMS with this code really from Huduma, and what did it say?"""

from __future__ import annotations

import re

from sqlalchemy import select

from menus.common import ctx, day_text, notice
from models import Message
from ops.redis import count_in_window
from services.codes import normalise_code
from ussd.engine import N_, Go, Invalid, Node, Outcome, Turn, View

CHECKS_KEY = "ussd:verify:count:{}"
SECRETISH = re.compile(r"\b(?=[A-Z0-9-]*\d)[A-Z0-9-]{5,}\b")


def masked_summary(body: str, limit: int = 80) -> str:
    """Return the gist of a message with references and numbers masked."""
    text = body.removeprefix("HUDUMA: ")
    text = SECRETISH.sub(lambda m: "***" + m.group()[-3:], text)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _allowed(turn: Turn) -> bool:
    """Count a check by this phone and say whether it is within the hourly limit."""
    hop = ctx(turn)
    key = CHECKS_KEY.format(hop.phone_key)
    pipe = hop.redis.pipeline(transaction=False)
    count_in_window(pipe, key, 3600)
    checks = pipe.execute()[-1]
    return int(checks) <= hop.settings.ussd_verify_checks_per_hour


def _handle(turn: Turn, text: str) -> Outcome:
    code = normalise_code(text)
    if not code.isascii() or not 4 <= len(code) <= 12:
        return Invalid(N_("A code is 4 to 12 letters and digits."))
    if not _allowed(turn):
        return Go("verify.locked")
    query = select(Message.id).where(Message.verification_code == code)
    found = ctx(turn).read(lambda db: db.scalar(query.limit(1)))
    return Go("verify.genuine", {"msg": str(found)}) if found else Go("verify.fake")


def _genuine(turn: Turn) -> str:
    message_id = int(turn.data.get("msg", "0") or 0)
    message = ctx(turn).read(lambda db: db.get(Message, message_id))
    if message is None:
        return turn.t(N_("Not found."))
    when = day_text(turn, message.created_at.astimezone(ctx(turn).tz).date())
    return turn.t(N_("Genuine Huduma SMS of {when}: {gist}"), when=when,
                  gist=masked_summary(message.body))  # fmt: skip


NODES = (
    Node(
        "verify.code", lambda turn: View(turn.t(N_("Enter the code printed on the SMS"))), _handle
    ),
    notice("verify.genuine", _genuine),
    notice(
        "verify.locked",
        lambda turn: turn.t(N_("Too many lookups from this number. Try later or call 1919.")),
    ),
    notice(
        "verify.fake",
        lambda turn: turn.t(
            N_("This code is NOT from Huduma. Huduma never asks for fees. Report it: call 1919.")
        ),
    ),
)
