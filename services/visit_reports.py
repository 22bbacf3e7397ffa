"""Queue dashboards: waiting and service times (p50, p90), no-show rate, satisfaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Centre, Feedback, Service, Slot, Visit, VisitStatus
from services.visits import day_bounds

DaySeries = list[tuple[str, list[float | None]]]
GOOD = 4  # ratings of 4 and 5 count as satisfied


@dataclass(frozen=True, slots=True)
class Sample:
    """One called ticket: minutes from check-in to call, and from call to done when served."""

    centre: str
    service: str
    day: date
    wait: float
    serve: float | None


def percentile(values: Iterable[float], share: float) -> float | None:
    """The `share` percentile (0.5 = median), interpolated between ranks; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 1)


def _minutes(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 60)


def samples(session: Session, first: date, days: int, centre_id: int | None) -> list[Sample]:
    """Every ticket called at a centre (or all) on the `days` local dates from `first`."""
    query = (
        select(Centre.name, Service.name_en, Visit.day, Visit.arrived_at, Visit.called_at,
               Visit.finished_at, Visit.status)
        .join(Centre, Centre.id == Visit.centre_id)
        .join(Service, Service.id == Visit.service_id)
        .where(Visit.day >= first, Visit.day < first + timedelta(days=days))
        .where(Visit.called_at.is_not(None))
    )  # fmt: skip
    if centre_id is not None:
        query = query.where(Visit.centre_id == centre_id)
    found = []
    for centre, service, day, arrived, called, finished, status in session.execute(query):
        assert called is not None  # the query asks for called tickets only
        served = status == VisitStatus.SERVED and finished is not None
        serve = _minutes(finished, called) if served and finished else None
        found.append(Sample(centre, service, day, _minutes(called, arrived), serve))
    return found


def _group(rows: Iterable[Sample], key: Callable[[Sample], Hashable]) -> dict[Any, list[Sample]]:
    groups: dict[Any, list[Sample]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


@dataclass(frozen=True, slots=True)
class Times:
    """Waiting and service times of one centre, service and day, in minutes."""

    centre: str
    service: str
    day: date
    tickets: int
    wait_p50: float | None
    wait_p90: float | None
    serve_p50: float | None
    serve_p90: float | None


def times(rows: list[Sample]) -> list[Times]:
    """p50 and p90 of waiting and service time per centre, service and day."""
    found = []
    for (centre, service, day), group in sorted(_group(rows, _cell).items()):
        waits = [r.wait for r in group]
        serves = [r.serve for r in group if r.serve is not None]
        found.append(Times(centre, service, day, len(group), percentile(waits, 0.5),
                           percentile(waits, 0.9), percentile(serves, 0.5),
                           percentile(serves, 0.9)))  # fmt: skip
    return found


def _cell(row: Sample) -> tuple[str, str, date]:
    return row.centre, row.service, row.day


def series(
    rows: list[Sample], days: list[date], *, by: str, metric: str, share: float
) -> DaySeries:
    """A percentile of `metric` ("wait" or "serve") per `by` ("centre" or "service") and day."""
    table: dict[str, list[float | None]] = {}
    for (label, day), group in _group(rows, lambda r: (getattr(r, by), r.day)).items():
        values = [v for v in (getattr(r, metric) for r in group) if v is not None]
        table.setdefault(label, [None] * len(days))[days.index(day)] = percentile(values, share)
    return sorted(table.items())


def no_show_rates(
    session: Session, days: list[date], tz: ZoneInfo, centre_id: int | None
) -> DaySeries:
    """Per centre and day, the share (%) of bookings due that day whose citizen never came."""
    table: dict[str, list[float | None]] = {}
    for index, day in enumerate(days):
        for name, absent, due in session.execute(_no_show_query(day, tz, centre_id)):
            table.setdefault(name, [None] * len(days))[index] = round(100.0 * absent / due, 1)
    return sorted(table.items())


def _no_show_query(day: date, tz: ZoneInfo, centre_id: int | None) -> Any:
    start, end = day_bounds(day, tz)
    absent = func.sum(case((Booking.status == BookingStatus.NO_SHOW, 1), else_=0))
    query = (
        select(Centre.name, absent, func.count(Booking.id))
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Centre, Centre.id == Slot.centre_id)
        .where(Slot.starts_at >= start, Slot.starts_at < end)
        .where(Booking.status.in_((BookingStatus.ATTENDED, BookingStatus.NO_SHOW)))
        .group_by(Centre.name)
    )
    return query if centre_id is None else query.where(Slot.centre_id == centre_id)


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """The share (%) of a centre's ratings that were 4 or 5, and how many there were."""

    centre: str
    share: float
    ratings: int


def satisfaction(
    session: Session, since: datetime, until: datetime, centre_id: int | None
) -> list[Satisfaction]:
    """Per centre, the share of ratings of 4-5 given between `since` and `until`."""
    good = func.sum(case((Feedback.rating >= GOOD, 1), else_=0))
    query = (
        select(Centre.name, good, func.count(Feedback.id))
        .join(Centre, Centre.id == Feedback.centre_id)
        .where(Feedback.created_at >= since, Feedback.created_at < until)
        .group_by(Centre.name)
        .order_by(Centre.name)
    )
    if centre_id is not None:
        query = query.where(Feedback.centre_id == centre_id)
    return [Satisfaction(name, round(100.0 * g / n, 1), n) for name, g, n in session.execute(query)]
