"""Delivery reports from AT: move a sent message to delivered or failed, once."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Message, MessageStatus, utcnow
from ops.metrics import count_sms

log = logging.getLogger(__name__)
S = MessageStatus
FINAL_FAILED = {"Failed", "Rejected"}
UPDATABLE = {S.SENT, S.SENDING, S.QUEUED}


def apply_report(session: Session, form: Mapping[str, str]) -> str:
    """Apply one report; return what happened (unknown, ignored, delivered, failed)."""
    at_id = (form.get("id") or "").strip()
    message = session.scalars(select(Message).where(Message.at_message_id == at_id)).first()
    if not at_id or message is None:
        log.info("delivery report for unknown message id %r", at_id[:80])
        return "unknown"
    status = form.get("status", "")
    if message.status not in UPDATABLE:
        return "ignored"
    if status == "Success":
        message.status, message.delivered_at = S.DELIVERED, utcnow()
    elif status in FINAL_FAILED:
        message.status = S.FAILED
        message.failure_reason = (form.get("failureReason") or status)[:60]
    else:
        return "ignored"
    count_sms(message.status, message.failure_reason or "")
    return str(message.status)
