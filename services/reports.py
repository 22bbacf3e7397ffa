"""Queries behind the console's reports and dashboards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, Select, func, select
from sqlalchemy.orm import Session

from models import (
    Booking,
    BookingStatus,
    Centre,
    Document,
    DocumentStatus,
    Feedback,
    InboundMessage,
    Message,
    MessageStatus,
    Service,
    Slot,
    Ticket,
    UssdSessionEvent,
)

Row = tuple[str, float]
DaySeries = list[tuple[str, list[float | None]]]
NETWORKS = {
    "63902": "Safaricom",
    "63903": "Airtel",
    "63907": "Telkom",
    "63999": "Equitel",
    "99999": "Sandbox",
}
LANGUAGES = {"en": "English", "sw": "Kiswahili"}


def _local_day_range(day: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tz)
    return start, start + timedelta(days=days)


def _rank(table: dict[str, list[float | None]], limit: int) -> DaySeries:
    def weight(values: list[float | None]) -> float:
        return sum(v for v in values if v is not None)

    return sorted(table.items(), key=lambda item: (-weight(item[1]), item[0]))[:limit]


def _per_day(
    session: Session,
    first: date,
    days: int,
    tz: ZoneInfo,
    query_for: Callable[[datetime, datetime], Executable],
    value: Callable[[Any], float | None],
) -> dict[str, list[float | None]]:
    """Run a per-centre query on each local day from `first`; a table of centre -> daily values."""
    table: dict[str, list[float | None]] = {}
    for offset in range(days):
        start, end = _local_day_range(first + timedelta(days=offset), 1, tz)
        for row in session.execute(query_for(start, end)):
            table.setdefault(row[0], [None] * days)[offset] = value(row)
    return table


def bookings_by_day(
    session: Session, first: date, days: int, tz: ZoneInfo, limit: int = 12
) -> DaySeries:
    """Active and attended bookings per centre on each local day from `first`, busiest first."""

    def query_for(start: datetime, end: datetime) -> Executable:
        return (
            select(Centre.name, func.count(Booking.id))
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Centre, Slot.centre_id == Centre.id)
            .where(Slot.starts_at >= start, Slot.starts_at < end)
            .where(Booking.status.in_((BookingStatus.ACTIVE, BookingStatus.ATTENDED)))
            .group_by(Centre.name)
        )

    table = _per_day(session, first, days, tz, query_for, lambda row: float(row[1]))
    for values in table.values():  # a centre with bookings on some days booked none on others
        values[:] = [v or 0.0 for v in values]
    return _rank(table, limit)


def seat_use_by_day(
    session: Session, first: date, days: int, tz: ZoneInfo, limit: int = 12
) -> DaySeries:
    """Percentage of seats booked per centre on each local day from `first` (None: no seats)."""

    def query_for(start: datetime, end: datetime) -> Executable:
        return (
            select(Centre.name, func.sum(Slot.booked), func.sum(Slot.capacity))
            .join(Centre, Slot.centre_id == Centre.id)
            .where(Slot.starts_at >= start, Slot.starts_at < end)
            .group_by(Centre.name)
        )

    def share(row: Any) -> float | None:
        booked, capacity = row[1], row[2]
        return round(100.0 * float(booked or 0) / capacity, 1) if capacity else None

    return _rank(_per_day(session, first, days, tz, query_for, share), limit)


def sms_by_status(session: Session, since: datetime) -> list[Row]:
    """Messages created since a time, per status."""
    query = (
        select(Message.status, func.count())
        .where(Message.created_at >= since)
        .group_by(Message.status)
        .order_by(Message.status)
    )
    return [(status, float(n)) for status, n in session.execute(query)]


def sms_failure_reasons(session: Session, since: datetime, limit: int = 10) -> list[Row]:
    """Why messages failed since a time, commonest first."""
    reason = func.coalesce(Message.failure_reason, Message.last_error, "unknown")
    query = (
        select(reason, func.count())
        .where(Message.created_at >= since, Message.status == MessageStatus.FAILED)
        .group_by(reason)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(str(r), float(n)) for r, n in session.execute(query)]


def ussd_funnel(
    session: Session,
    since: datetime,
    limit: int = 15,
    *,
    language: str = "",
    network: str = "",
) -> list[Row]:
    """Where USSD sessions ended: screen and status, commonest first, for a language or network."""
    screen = func.coalesce(UssdSessionEvent.last_screen, "unknown")
    query = (
        select(screen, UssdSessionEvent.status, func.count())
        .where(UssdSessionEvent.ended_at >= since)
        .group_by(screen, UssdSessionEvent.status)
        .order_by(func.count().desc())
        .limit(limit)
    )
    if language:
        query = query.where(UssdSessionEvent.language == language)
    if network:
        query = query.where(UssdSessionEvent.network_code == network)
    return [(f"{s} ({status})", float(n)) for s, status, n in session.execute(query)]


def ussd_by_language(session: Session, since: datetime) -> list[Row]:
    """USSD sessions per language and how they ended."""
    return _ussd_breakdown(session, since, UssdSessionEvent.language, LANGUAGES)


def ussd_by_network(session: Session, since: datetime) -> list[Row]:
    """USSD sessions per mobile network and how they ended."""
    return _ussd_breakdown(session, since, UssdSessionEvent.network_code, NETWORKS)


def _ussd_breakdown(
    session: Session, since: datetime, column: Any, names: dict[str, str]
) -> list[Row]:
    query = (
        select(column, UssdSessionEvent.status, func.count())
        .where(UssdSessionEvent.ended_at >= since)
        .group_by(column, UssdSessionEvent.status)
        .order_by(column, UssdSessionEvent.status)
    )
    return [
        (f"{names.get(key or '', key or 'unknown')} ({status})", float(n))
        for key, status, n in session.execute(query)
    ]


def uncollected_per_centre(session: Session, limit: int = 15) -> list[Row]:
    """Documents waiting for collection per centre, most first."""
    query = (
        select(Centre.name, func.count(Document.id))
        .join(Centre, Document.centre_id == Centre.id)
        .where(Document.status == DocumentStatus.READY_FOR_COLLECTION)
        .group_by(Centre.name)
        .order_by(func.count(Document.id).desc())
        .limit(limit)
    )
    return [(name, float(n)) for name, n in session.execute(query)]


def _feedback_filters(
    query: Select[Any],
    centre_id: int | None,
    service_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    if centre_id:
        query = query.where(Feedback.centre_id == centre_id)
    if service_id:
        query = query.where(Feedback.service_id == service_id)
    if since:
        query = query.where(Feedback.created_at >= since)
    if until:
        query = query.where(Feedback.created_at < until)
    return query


def feedback_averages(
    session: Session,
    *,
    centre_id: int | None = None,
    service_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[str, str, float, int]]:
    """Average rating and count per centre and service within the filters."""
    service = func.coalesce(Service.name_en, "(any service)")
    query = (
        select(Centre.name, service, func.avg(Feedback.rating), func.count(Feedback.id))
        .join(Centre, Feedback.centre_id == Centre.id)
        .outerjoin(Service, Feedback.service_id == Service.id)
        .group_by(Centre.name, service)
        .order_by(Centre.name, service)
    )
    query = _feedback_filters(query, centre_id, service_id, since, until)
    return [(c, s, round(float(a), 2), int(n)) for c, s, a, n in session.execute(query)]


def feedback_by_week(
    session: Session,
    *,
    centre_id: int | None,
    service_id: int | None = None,
    weeks: int,
    now: datetime,
) -> list[Row]:
    """Average rating per week (oldest first) over the last `weeks` weeks, for the filters."""
    rows: list[Row] = []
    for back in range(weeks - 1, -1, -1):
        start = now - timedelta(weeks=back + 1)
        query = select(func.avg(Feedback.rating)).where(
            Feedback.created_at >= start, Feedback.created_at < start + timedelta(weeks=1)
        )
        query = _feedback_filters(query, centre_id, service_id, None, None)
        rows.append((f"{start:%d/%m}", round(float(session.scalar(query) or 0), 2)))
    return rows


def unmatched_inbound(session: Session, limit: int = 200) -> list[InboundMessage]:
    """Inbound SMS that matched no keyword, newest first."""
    query = select(InboundMessage).where(InboundMessage.matched.is_(False))
    return list(session.scalars(query.order_by(InboundMessage.id.desc()).limit(limit)))


def tickets(session: Session, status: str = "open", limit: int = 200) -> list[Ticket]:
    """Tickets in a status, oldest open first."""
    query = select(Ticket).where(Ticket.status == status).order_by(Ticket.id).limit(limit)
    return list(session.scalars(query))


def close_ticket(ticket: Ticket, *, note: str, staff_id: int, now: datetime) -> None:
    """Close a ticket with the agent's note of what was done."""
    if ticket.status != "open":
        raise ValueError("this ticket is already closed")
    if not note.strip():
        raise ValueError("a closing note is needed")
    ticket.status, ticket.note = "closed", note.strip()
    ticket.closed_by_id, ticket.closed_at = staff_id, now
