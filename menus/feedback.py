"""Give feedback: a recent visit or a chosen centre, a rating of 1-5, an optional comment."""

from __future__ import annotations

from datetime import timedelta

from menus.common import day_text, hop_key, listing, menu, notice
from menus.context import HopContext, HopTurn
from services import feedback, visits
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import N_

RATINGS = (N_("Very bad"), N_("Bad"), N_("Average"), N_("Good"), N_("Very good"))
OTHER = "other"
VISIT = "v"  # marks a visit's id among the booking ids of the first screen


def _start_view(turn: HopTurn) -> View:
    hop = turn.ctx
    since = hop.now - timedelta(days=30)
    today = hop.read(lambda db: visits.visits_today(db, hop.phone, hop.now, hop.tz))
    served = {t.booking_id for t in today}
    found = hop.read(lambda db: feedback.visits_to_rate(db, hop.phone, since, hop.now))
    found = [v for v in found if v.booking_id not in served]
    labels = [f"{v.centre} {day_text(turn, v.starts_at.astimezone(hop.tz).date())}" for v in found]
    values = [f"{v.booking_id}:{v.centre_id}" for v in found]
    return View(
        turn.t(N_("Feedback on which visit?")),
        [*(turn.t(N_("Your visit today at {centre}"), centre=t.centre) for t in today), *labels,
         turn.t(N_("Another centre"))],
        values=[*(f"{VISIT}{t.visit_id}:{t.centre_id}" for t in today), *values, OTHER],
    )  # fmt: skip


def _start_handle(turn: HopTurn, text: str) -> Outcome:
    value = turn.picked(text)
    if value is None:
        return Invalid()
    if value == OTHER:
        return Go("feedback.county", {"fbooking": "", "fvisit": ""})
    chosen, centre_id = value.split(":")
    if chosen.startswith(VISIT):  # a visit served today (booked or walked in)
        return Go("feedback.rate", {"fvisit": chosen[1:], "fbooking": "", "fcentre": centre_id})
    return Go("feedback.rate", {"fbooking": chosen, "fvisit": "", "fcentre": centre_id})


def _counties(turn: HopTurn) -> list[tuple[str, str]]:
    return [(str(i), name) for i, name in turn.ctx.read(feedback.counties)]


def _centres(turn: HopTurn) -> list[tuple[str, str]]:
    county = int(turn.data["fcounty"])
    return [(str(i), name) for i, name in turn.ctx.read(lambda db: feedback.centres(db, county))]


def _comment_handle(turn: HopTurn, text: str) -> Outcome:
    if not text:
        return Invalid(N_("Type a comment, or 1 to skip."))
    hop = turn.ctx
    booking, visit = turn.data.get("fbooking") or None, turn.data.get("fvisit") or None
    rating = feedback.Rating(
        centre_id=int(turn.data["fcentre"]), rating=int(turn.data["rating"]) + 1,
        comment="" if text == "1" else text[:160], phone_hash=hop.phone_key,
        idempotency_key=hop_key(turn), booking_id=int(booking) if booking else None,
        visit_id=int(visit) if visit else None,
    )  # fmt: skip
    saved = feedback.give(hop.db, rating)
    return Go("feedback.done" if saved else "feedback.twice")


NODES: tuple[Node[HopContext], ...] = (
    Node("feedback.start", _start_view, _start_handle),
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
