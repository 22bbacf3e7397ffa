"""Dashboards: waiting and service times p50/p90, no-show rate and satisfaction, with figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from models import Booking, BookingStatus, Feedback, Role, Visit, VisitStatus
from services.visit_reports import (
    no_show_rates,
    percentile,
    samples,
    satisfaction,
    series,
    times,
)
from tests.dates import NAIROBI


@pytest.mark.parametrize(
    ("values", "share", "found"),
    [([], 0.5, None), ([7.0], 0.9, 7.0), ([1, 2, 3, 4], 0.5, 2.5), (list(range(1, 11)), 0.9, 9.1),
     ([10, 0, 5], 0.5, 5.0)],
)  # fmt: skip
def test_percentiles_interpolate_between_ranks(values, share, found):
    assert percentile(values, share) == found


def _served(floor, n: int, wait: int, serve: int | None, service: str = "ID_REPLACEMENT"):
    """Add a ticket checked in, called `wait` minutes later, done `serve` minutes after that."""
    arrived = floor.now - timedelta(hours=2) + timedelta(minutes=n)
    called = arrived + timedelta(minutes=wait)
    status = VisitStatus.SERVED if serve is not None else VisitStatus.NO_SHOW
    with floor.app.extensions["huduma"].session_factory.begin() as session:
        session.add(Visit(
            centre_id=floor.centres["GPO"], service_id=floor.services[service], number=n,
            day=floor.now.astimezone(NAIROBI).date(), priority_at=arrived, arrived_at=arrived,
            called_at=called, status=status,
            finished_at=None if serve is None else called + timedelta(minutes=serve),
        ))  # fmt: skip


def test_times_per_centre_service_and_day(floor):
    for n, (wait, serve) in enumerate([(10, 4), (20, 6), (30, 8), (40, None)], start=1):
        _served(floor, n, wait, serve)
    _served(floor, 9, 5, 2, service="KRA_PIN")
    day = floor.now.astimezone(NAIROBI).date()
    with floor.session() as session:
        rows = samples(session, day, 1, floor.centres["GPO"])
    [kra, ids] = times(rows)
    assert (ids.service, ids.tickets, ids.wait_p50, ids.wait_p90) == (
        "Replacement ID card",
        4,
        25.0,
        37.0,
    )
    assert (ids.serve_p50, ids.serve_p90) == (6.0, 7.6)  # the absent one has no service time
    assert (kra.tickets, kra.wait_p50, kra.serve_p90) == (1, 5.0, 2.0)
    by_service = dict(series(rows, [day], by="service", metric="wait", share=0.5))
    assert by_service == {"KRA PIN": [5.0], "Replacement ID card": [25.0]}


def test_no_show_rate_counts_bookings_due_that_day(floor):
    references = [floor.book(f"+25471200004{n}", "15:00") for n in range(2)]
    references += [floor.book(f"+25471200005{n}", "16:00") for n in range(2)]
    statuses = [BookingStatus.ATTENDED, BookingStatus.NO_SHOW, BookingStatus.ATTENDED,
                BookingStatus.CANCELLED]  # fmt: skip
    with floor.app.extensions["huduma"].session_factory.begin() as session:
        for reference, status in zip(references, statuses, strict=True):
            session.execute(
                update(Booking).where(Booking.reference == reference).values(status=status)
            )
    with floor.session() as session:
        rates = no_show_rates(session, [floor.now.astimezone(NAIROBI).date()], NAIROBI, None)
    assert rates == [("Huduma Centre GPO", [33.3])]  # the cancelled one was never due


def test_satisfaction_is_the_share_of_fours_and_fives(floor):
    with floor.app.extensions["huduma"].session_factory.begin() as session:
        for n, rating in enumerate([5, 4, 3, 1]):
            session.add(Feedback(centre_id=floor.centres["GPO"], rating=rating, phone_hash=str(n),
                                 created_at=floor.now))  # fmt: skip
    with floor.session() as session:
        [found] = satisfaction(
            session, floor.now - timedelta(days=1), floor.now + timedelta(1), None
        )
    assert (found.centre, found.share, found.ratings) == ("Huduma Centre GPO", 50.0, 4)


def test_the_page_shows_the_figures_of_the_chosen_week(as_role, floor):
    _served(floor, 1, 12, 3)
    day = floor.now.astimezone(NAIROBI).date()
    page = as_role(Role.SUPERVISOR).get(f"/staff/visits/?day={day}&centre={floor.centres['GPO']}")
    html = page.get_data(as_text=True)
    assert "Figures: Waiting time p50" in html and "<td>12.0</td>" in html
    assert "<td>Replacement ID card</td>" in html
