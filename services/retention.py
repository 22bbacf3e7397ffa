"""Kenya's Data Protection Act: keep personal data no longer than needed, class by class.

Each data class is kept for its own number of days (a setting), then anonymised (the row stays
for the figures, without the person) or deleted. Work goes in small batches, each its own short
transaction. Tables whose age grows with the id are read from a mark (the first row not yet
due, last time), so a night's run never reads the history it anonymised before; the others are
small and searched whole. A second run finds nothing left to do and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import (
    AuditEvent,
    Base,
    Booking,
    Document,
    DocumentEvent,
    DocumentStatus,
    Feedback,
    InboundMessage,
    Message,
    Promise,
    PromiseStatus,
    RetentionMark,
    StaffSession,
    Ticket,
    UssdSessionEvent,
)
from ops.metrics import RETENTION_ROWS
from services import anonymise, audit
from services.anonymise import unmasked

FINISHED = (DocumentStatus.COLLECTED, DocumentStatus.AVAILABLE_ON_ECITIZEN, DocumentStatus.REJECTED)


class Treatment(StrEnum):
    ANONYMISE = "anonymised"
    DELETE = "deleted"


@dataclass(frozen=True, slots=True)
class DataClass:
    """Rows of one kind, how long they are kept, and what happens to them after."""

    name: str
    what: str  # for people: which rows, what goes
    model: type[Base]
    stamp: str  # the column their age counts from
    treatment: Treatment
    apply: Callable[[Session, Sequence[int]], int]
    todo: Callable[[], ColumnElement[bool]] = true  # rows still to treat, whatever their age
    ordered: bool = True  # the stamp grows with the id

    def days(self, settings: Settings) -> int:
        """Days this class is kept, from the settings."""
        return int(getattr(settings, f"retention_{self.name}_days"))

    def column(self) -> Any:
        """The model's timestamp column the age counts from."""
        return getattr(self.model, self.stamp)

    def ids(self) -> Any:
        """The model's primary key column."""
        return self.model.id  # type: ignore[attr-defined]


def _deleting(model: type[Base]) -> Callable[[Session, Sequence[int]], int]:
    return partial(anonymise.remove, model)


CLASSES = (
    DataClass("outbox", "SMS sent: number masked; text, verification code and error removed",
              Message, "created_at", Treatment.ANONYMISE, anonymise.messages,
              lambda: unmasked(Message.recipient)),
    DataClass("inbound", "SMS received: sender masked, text removed (keyword kept)",
              InboundMessage, "received_at", Treatment.ANONYMISE, anonymise.inbound,
              lambda: unmasked(InboundMessage.phone)),
    DataClass("ussd_event", "USSD end-of-session events (the drop-off funnel): deleted",
              UssdSessionEvent, "received_at", Treatment.DELETE, _deleting(UssdSessionEvent)),
    DataClass("feedback", "Feedback: comment and phone hash removed (rating kept)",
              Feedback, "created_at", Treatment.ANONYMISE, anonymise.feedback,
              lambda: Feedback.phone_hash != ""),
    DataClass("booking", "Appointments, from booking: number masked, ID number removed",
              Booking, "created_at", Treatment.ANONYMISE, anonymise.bookings,
              lambda: unmasked(Booking.phone)),
    DataClass("document", "Finished applications, from the last status: owner's number masked, "
              "ID number removed", Document, "status_changed_at", Treatment.ANONYMISE,
              anonymise.documents,
              lambda: and_(Document.status.in_(FINISHED), unmasked(Document.owner_phone)),
              ordered=False),
    DataClass("ticket", "Closed contact-centre tickets: number masked, call notes removed",
              Ticket, "created_at", Treatment.ANONYMISE, anonymise.tickets,
              lambda: and_(Ticket.status == "closed", unmasked(Ticket.phone)), ordered=False),
    DataClass("status_history", "Status history of applications: deleted",
              DocumentEvent, "received_at", Treatment.DELETE, _deleting(DocumentEvent)),
    DataClass("promise", "Finished promises (bookings finished by a job): deleted",
              Promise, "created_at", Treatment.DELETE, _deleting(Promise),
              lambda: Promise.status != PromiseStatus.PENDING, ordered=False),
    DataClass("staff_session", "Console sessions (staff addresses): deleted",
              StaffSession, "created_at", Treatment.DELETE, _deleting(StaffSession)),
    DataClass("audit", "Audit log: deleted", AuditEvent, "at", Treatment.DELETE,
              _deleting(AuditEvent)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Run:
    """One run's limits: batch size, and when to stop starting batches."""

    settings: Settings
    now: datetime
    deadline: float  # time.monotonic() value

    def cutoff(self, data: DataClass) -> datetime:
        """Rows of `data` stamped before this are due."""
        return self.now - timedelta(days=data.days(self.settings))

    def out_of_time(self) -> bool:
        """True once the run should start no new batch (the next run goes on)."""
        return time.monotonic() > self.deadline


def _mark(session: Session, name: str) -> RetentionMark:
    found = session.get(RetentionMark, name)
    if found is None:
        found = RetentionMark(name=name, last_id=0)
        session.add(found)
    return found


def _boundary(session: Session, data: DataClass, after: int, cutoff: datetime) -> int:
    """The first id after `after` that is not yet due (or one past the last id)."""
    first_young = session.scalar(
        select(data.ids()).where(data.ids() > after, data.column() >= cutoff)
        .order_by(data.ids()).limit(1)
    )  # fmt: skip
    if first_young is not None:
        return int(first_young)
    return int(session.scalar(select(func.coalesce(func.max(data.ids()), 0))) or 0) + 1


def _batch(session: Session, data: DataClass, run: Run, after: int) -> list[int]:
    query = select(data.ids()).where(
        data.ids() > after, data.column() < run.cutoff(data), data.todo()
    )
    limit = run.settings.retention_batch_size
    return list(session.scalars(query.order_by(data.ids()).limit(limit)))


def _start(factory: sessionmaker[Session], data: DataClass, run: Run) -> tuple[int, int]:
    """Where this run starts (after the mark) and the first id not yet due (the next mark)."""
    if not data.ordered:
        return 0, 0
    with factory.begin() as session:
        after = _mark(session, data.name).last_id
        return after, _boundary(session, data, after, run.cutoff(data))


def _treat(factory: sessionmaker[Session], data: DataClass, run: Run) -> int:
    """Treat every due row after the mark, batch by batch; move the mark up to the boundary.

    Rows beyond the boundary that are due anyway (stamped older than their id suggests) are
    treated too; the mark never passes a row that is not yet due.
    """
    after, boundary = _start(factory, data, run)
    done = 0
    while not run.out_of_time():
        with factory.begin() as session:
            ids = _batch(session, data, run, after)
            if data.ordered:
                mark = _mark(session, data.name)
                reached = min(ids[-1], boundary - 1) if ids else boundary - 1
                mark.last_id = max(mark.last_id, reached)
            if not ids:
                return done
            done += data.apply(session, ids)
            after = ids[-1]
    return done


def _report(factory: sessionmaker[Session], data: DataClass, run: Run, rows: int) -> None:
    """Record what a class's treatment did in the audit log and the metric."""
    RETENTION_ROWS.labels(data.name, data.treatment.value).inc(rows)
    with factory.begin() as session:
        audit.record(session, actor_id=None, actor="system", action="retention",
                     target=f"data:{data.name}", rows=rows, treatment=data.treatment.value,
                     older_than=run.cutoff(data).isoformat())  # fmt: skip


def apply_all(
    factory: sessionmaker[Session], settings: Settings, now: datetime, budget: float | None = None
) -> dict[str, int]:
    """Anonymise or delete what every data class has kept too long; return rows per class."""
    seconds = settings.retention_max_seconds if budget is None else budget
    run, treated = Run(settings, now, time.monotonic() + seconds), {}
    for data in CLASSES:
        treated[data.name] = rows = _treat(factory, data, run)
        if rows:
            _report(factory, data, run, rows)
    return treated
