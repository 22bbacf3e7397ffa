"""Book an appointment, what and where: the service, then the county and centre.

A returning caller is offered the centre of their last booking first; counties come most
booked first, and a caller may type a county's first letters instead of paging.
"""

from __future__ import annotations

from dataclasses import replace

from menus.booking_confirm import PROOF, REFUSALS, proof_of
from menus.common import GONE, listing
from menus.context import HopContext, HopTurn
from services import bookings, catalogue, returning
from ussd.engine import Again, Go, Invalid, Node, Outcome, View
from words.i18n import N_

MINE = "mine"
LAST = "last:"  # the value of the "same centre as last time" option
TOO_MANY = REFUSALS["too_many"]
NO_COUNTY = N_("No county starts with that. Type its first letters or choose a number.")


def _labels(turn: HopTurn, options: list[catalogue.Option]) -> list[tuple[str, str]]:
    return [(str(option.id), option.name(turn.state.lang)) for option in options]


def _at_limit(turn: HopTurn) -> bool:
    hop = turn.ctx
    held = hop.read(lambda db: bookings.active_count(db, hop.phone, hop.now))
    return held >= hop.settings.ussd_max_active_bookings


def _service_view(turn: HopTurn) -> View:
    """The services, or at once the booking limit when the caller has reached it."""
    if _at_limit(turn):
        limit = turn.ctx.settings.ussd_max_active_bookings
        mine = turn.t(N_("My appointments"))
        return View(turn.t(TOO_MANY, limit=limit), [mine], values=[MINE])
    return SERVICES.view(turn)


def _service_handle(turn: HopTurn, text: str) -> Outcome:
    if turn.state.values == [MINE]:
        return Go("mine.list") if turn.picked(text) == MINE else Invalid()
    assert SERVICES.handle is not None
    outcome = SERVICES.handle(turn, text)
    if isinstance(outcome, Go) and "service" in outcome.data:
        shown = proof_of(turn, outcome.data["service"]).value
        return replace(outcome, data={**outcome.data, PROOF: shown})
    return outcome


def _services(turn: HopTurn) -> list[tuple[str, str]]:
    hop = turn.ctx
    return _labels(turn, hop.read(lambda db: catalogue.services(db, hop.catalogue())))


def _fresh(turn: HopTurn, still: bool) -> bool:
    """Pass `still` on; a choice found gone means this process's lists are stale: drop them all."""
    if not still:
        catalogue.changed(turn.ctx.redis)
    return still


def _service_open(turn: HopTurn, value: str) -> bool:
    return _fresh(turn, turn.ctx.read(lambda db: catalogue.service_open(db, int(value))))


def _counties(turn: HopTurn) -> list[tuple[str, str]]:
    hop, service = turn.ctx, int(turn.data["service"])
    found = hop.read(lambda db: catalogue.counties(db, service, hop.catalogue(), hop.now))
    return _labels(turn, found)


def _where_view(turn: HopTurn) -> View:
    """The counties, most booked first, after the centre the caller used last time."""
    hop, service = turn.ctx, int(turn.data["service"])
    counties = _counties(turn)
    if not counties:
        return View(turn.t(N_("Nothing to choose from. Dial again later.")), end=True)
    place = hop.read(lambda db: returning.last_place(db, hop.phone, service))
    pairs = [(f"{LAST}{place.centre_id}:{place.county_id}",
              turn.t(N_("{centre} (last time)"), centre=place.name))] if place else []  # fmt: skip
    pairs += counties
    title = turn.t(N_("Choose your county, or type its first letters"))
    labels, values = [label for _, label in pairs], [value for value, _ in pairs]
    return View(title, labels, values=values, notes=(NO_COUNTY, GONE))


def _where_handle(turn: HopTurn, text: str) -> Outcome:
    value = turn.picked(text)
    if value is None:
        return _typed(turn, text)
    if value.startswith(LAST):
        centre, county = value.removeprefix(LAST).split(":")
        return _to_centre(turn, county, centre)
    return _to_county(turn, value)


def _key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalpha())


def _typed(turn: HopTurn, text: str) -> Outcome:
    """Letters typed instead of a number: the counties shown whose names start with them."""
    typed = _key(text)
    if not typed:
        return Invalid()
    shown = zip(turn.state.values, turn.state.labels, strict=True)
    found = [value for value, label in shown if _key(label).startswith(typed)]
    found = [value for value in found if not value.startswith(LAST)]
    if not found:
        return Invalid(NO_COUNTY)
    if len(found) == 1:
        return _to_county(turn, found[0])
    return Go("book.match", {"match": ",".join(found)})


def _to_county(turn: HopTurn, county: str) -> Outcome:
    """Go on to the county's centres, or straight to the dates when it has only one."""
    hop, service = turn.ctx, int(turn.data["service"])
    centres = hop.read(lambda db: catalogue.centres(db, service, int(county), hop.catalogue()))
    if not centres:  # none left since the list was shown: it was stale
        catalogue.changed(hop.redis)
        return Again(GONE)
    if len(centres) == 1:
        return _to_centre(turn, county, str(centres[0].id))
    return Go("book.centre", {"county": county})


def _to_centre(turn: HopTurn, county: str, centre: str) -> Outcome:
    if not _offered(turn, centre):
        return Again(GONE)
    return Go("book.day", {"county": county, "centre": centre})


def _matches(turn: HopTurn) -> list[tuple[str, str]]:
    wanted = turn.data.get("match", "").split(",")
    return [pair for pair in _counties(turn) if pair[0] in wanted]


def _match_handle(turn: HopTurn, text: str) -> Outcome:
    value = turn.picked(text)
    return Invalid() if value is None else _to_county(turn, value)


def _centres(turn: HopTurn) -> list[tuple[str, str]]:
    hop, service, county = turn.ctx, int(turn.data["service"]), int(turn.data["county"])
    found = hop.read(lambda db: catalogue.centres(db, service, county, hop.catalogue()))
    return _labels(turn, found)


def _offered(turn: HopTurn, value: str) -> bool:
    """True while the chosen centre still offers the chosen service."""
    service, centre = int(turn.data["service"]), int(value)
    return _fresh(turn, turn.ctx.read(lambda db: catalogue.offers(db, centre, service)))


SERVICES = listing(
    "book.service",
    N_("Choose a service"),
    _services,
    "service",
    "book.county",
    still=_service_open,
)
MATCHES = listing("book.match", N_("Choose your county"), _matches, "county", "book.centre")
NODES: tuple[Node[HopContext], ...] = (
    Node("book.service", _service_view, _service_handle),
    Node("book.county", _where_view, _where_handle),
    Node("book.match", MATCHES.view, _match_handle),
    listing("book.centre", N_("Choose a centre"), _centres, "centre", "book.day", still=_offered),
)
