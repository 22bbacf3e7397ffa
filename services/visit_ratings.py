"""Ratings by SMS reply: a served citizen answers 1-5 (a comment may follow); one per visit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from config import Settings
from identifiers.numbers import keyed_hash
from models import Visit, VisitStatus, utcnow
from models.work import Work
from services import feedback
from services.visits import addressee
from sms.visits import Event, queue_visit_sms

# "4", "5.", "4 quick and polite"; not "1919" or "12"
REPLY = re.compile(r"\s*([1-5])(?![0-9])[\s.,!:;-]*(.*)", re.DOTALL)
ReplyHook = Callable[[Work, str, str], bool]


@dataclass(frozen=True, slots=True)
class Reply:
    """A rating read from an SMS."""

    rating: int
    comment: str


def parse_reply(text: str) -> Reply | None:
    """Read a 1-5 rating and any comment after it; None when the text is not one."""
    found = REPLY.fullmatch(text or "")
    if found is None:
        return None
    return Reply(int(found.group(1)), " ".join(found.group(2).split())[:160])


def latest_served(work: Work, phone: str, since: datetime) -> Visit | None:
    """The phone's visit served most recently since `since`."""
    query = (
        select(Visit)
        .where(Visit.phone == phone, Visit.status == VisitStatus.SERVED)
        .where(Visit.finished_at >= since)
        .order_by(Visit.finished_at.desc(), Visit.id.desc())
    )
    return work.session.scalars(query.limit(1)).first()


def take_reply(
    work: Work, phone: str, text: str, *, now: datetime, hours: float, hash_key: str
) -> bool:
    """Rate the phone's latest served visit from a 1-5 reply, and answer it.

    True when the text was a rating reply for a visit served within `hours` (recorded, or, for
    a visit rated already, refused with a polite answer); False leaves the text to the keywords.
    """
    reply = parse_reply(text)
    visit = latest_served(work, phone, now - timedelta(hours=hours)) if reply else None
    if reply is None or visit is None:
        return False
    rating = feedback.Rating(
        centre_id=visit.centre_id, rating=reply.rating, comment=reply.comment,
        phone_hash=keyed_hash(phone, hash_key), idempotency_key=f"sms-rating:{visit.id}",
        visit_id=visit.id, channel="sms",
    )  # fmt: skip
    fresh = not feedback.visit_rated(work.session, visit.id)
    saved = feedback.give(work.session, rating) if fresh else None
    who = addressee(work.session, visit)
    if who is not None and saved is not None:
        queue_visit_sms(work, Event.RATED, who, rating=reply.rating)
    elif who is not None:
        queue_visit_sms(work, Event.ALREADY_RATED, who)
    return True


def reply_hook(settings: Settings) -> ReplyHook:
    """The rating check the inbound SMS callback runs before the keywords."""

    def hook(work: Work, phone: str, text: str) -> bool:
        return take_reply(work, phone, text, now=utcnow(), hours=settings.visit_rating_hours,
                          hash_key=settings.secret_key)  # fmt: skip

    return hook
