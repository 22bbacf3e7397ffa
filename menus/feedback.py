"""Give feedback: a recent booking or a chosen centre, a rating of 1-5, an optional comment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from menus.common import ctx, day_text, hop_key, listing, menu, notice
from models import Centre, County
from services import bookings
from services.feedback import Rating, already_rated, give
from ussd.engine import N_, Go, Invalid, Node, Outcome, Turn, View, choose

RATINGS = (N_("Very bad"), N_("Bad"), N_("Average"), N_("Good"), N_("Very good"))
OTHER = "other"


def _recent(turn: Turn) -> list[tuple[str, str]]:
    hop = ctx(turn)
    found = bookings.recent_bookings(hop.db, hop.phone, hop.now - timedelta(days=30), hop.now)
    items = [
        (
            f"{b.id}:{b.slot.centre_id}",
            f"{b.slot.centre.name} {day_text(turn, b.slot.starts_at.date())}",
        )
        for b in found
        if not already_rated(hop.db, b.id)
    ]
    return [*items, (OTHER, turn.t(N_("Another centre")))]


def _start_handle(turn: Turn, text: str) -> Outcome:
    found = _recent(turn)
    index = choose(text, len(found))
    if index is None:
        return Invalid()
    value = found[index][0]
    if value == OTHER:
        return Go("feedback.county", {"fbooking": ""})
    booking_id, centre_id = value.split(":")
    return Go("feedback.rate", {"fbooking": booking_id, "fcentre": centre_id})


def _counties(turn: Turn) -> list[tuple[str, str]]:
    ids = select(Centre.county_id).where(Centre.active)
    query = select(County).where(County.id.in_(ids)).order_by(County.name)
    return [(str(c.id), c.name) for c in ctx(turn).db.scalars(query)]


def _centres(turn: Turn) -> list[tuple[str, str]]:
    query = select(Centre).where(Centre.active, Centre.county_id == int(turn.data["fcounty"]))
    return [(str(c.id), c.name) for c in ctx(turn).db.scalars(query.order_by(Centre.name))]


def _comment_handle(turn: Turn, text: str) -> Outcome:
    if not text:
        return Invalid(N_("Type a comment, or 1 to skip."))
    hop = ctx(turn)
    booking = turn.data.get("fbooking") or None
    rating = Rating(
        centre_id=int(turn.data["fcentre"]), rating=int(turn.data["rating"]) + 1,
        comment="" if text == "1" else text[:160], phone_hash=hop.phone_key,
        idempotency_key=hop_key(turn), booking_id=int(booking) if booking else None,
    )  # fmt: skip
    saved = give(hop.db, rating)
    return Go("feedback.done" if saved else "feedback.twice")


NODES = (
    Node(
        "feedback.start",
        lambda turn: View(
            turn.t(N_("Feedback on which visit?")), [label for _, label in _recent(turn)]
        ),
        _start_handle,
    ),  # fmt: skip
    listing("feedback.county", N_("Choose the county"), _counties, "fcounty", "feedback.centre"),
    listing("feedback.centre", N_("Choose the centre"), _centres, "fcentre", "feedback.rate"),
    menu(
        "feedback.rate",
        N_("Rate the service"),
        [(r, "feedback.comment") for r in RATINGS],
        "rating",
    ),
    Node(
        "feedback.comment",
        lambda turn: View(turn.t(N_("Type a short comment, or 1 to skip"))),
        _comment_handle,
        acts=True,
    ),  # fmt: skip
    notice("feedback.done", lambda turn: turn.t(N_("Thank you. Your feedback was received."))),
    notice("feedback.twice", lambda turn: turn.t(N_("You already rated this visit. Thank you."))),
)
