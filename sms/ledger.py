"""The outbox rows a send touches: claim them under a lease, write outcomes only under it.

Statements are built once per dialect and take every value as a parameter, so a batch of
messages costs a few statements on one connection, not a compile or a round trip per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    TextClause,
    Update,
    any_,
    bindparam,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from models import Booking, Broadcast, Document, Message, MessageStatus

S = MessageStatus
MESSAGES = cast(Table, Message.__table__)
BROADCASTS = cast(Table, Broadcast.__table__)
DOCUMENTS = cast(Table, Document.__table__)
BOOKINGS = cast(Table, Booking.__table__)
OUTCOME_COLUMNS = ("status", "at_message_id", "cost", "sent_at", "last_error", "failure_reason",
                   "next_attempt_at", "encoding", "parts")  # fmt: skip
ARRAY_TYPES = {"status": String, "at_message_id": String, "cost": Numeric, "sent_at": DateTime,
               "last_error": String, "failure_reason": String, "next_attempt_at": DateTime,
               "encoding": String, "parts": Integer}  # fmt: skip
TIMES = {"sent_at", "next_attempt_at"}
# One statement writes every outcome of a group; the claim (status and lease end) must hold.
PG_WRITE = f"""
UPDATE messages AS m SET {", ".join(f"{c} = v.{c}" for c in OUTCOME_COLUMNS)}
FROM unnest(:m_id, {", ".join(f":{c}_v" for c in OUTCOME_COLUMNS)}, :m_lease)
     AS v(id, {", ".join(OUTCOME_COLUMNS)}, lease)
WHERE m.id = v.id AND m.status = 'sending' AND m.next_attempt_at = v.lease
RETURNING m.id
"""


@dataclass(frozen=True, slots=True)
class DueMessage:
    """A message still waiting and due, with what decides whether it goes out now."""

    id: int
    recipient: str
    body: str
    language: str
    message_class: str
    created_at: datetime
    attempts: int
    kind: str
    broadcast_status: str | None
    document_status: str | None
    booking_status: str | None


@dataclass(frozen=True, slots=True)
class Settlement:
    """The verdict written on a message that is not sent now (cancelled, suppressed...)."""

    message_id: int
    status: MessageStatus
    failure_reason: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """Every column one outcome writes, and the claim (lease end) it is written under."""

    message_id: int
    lease_end: datetime | None
    encoding: str
    parts: int
    status: MessageStatus
    at_message_id: str | None = None
    cost: Decimal | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    failure_reason: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Statements:
    """The statements of one dialect."""

    due: Select[Any]
    claim: Update
    held: Select[Any]
    put_back: Update
    settle: Update
    outcome: Update
    pg_write: TextClause


def _ids(postgresql: bool) -> ColumnElement[bool]:
    if postgresql:
        # One array parameter: the statement text does not change with the batch size.
        return MESSAGES.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger)))
    return MESSAGES.c.id.in_(bindparam("ids", expanding=True))


def _when(name: str) -> Any:
    return bindparam(name, type_=MESSAGES.c.next_attempt_at.type)


@cache
def statements(dialect: str) -> Statements:
    """Build the statements for `dialect` (once)."""
    m, ids = MESSAGES.c, _ids(dialect == "postgresql")
    active = or_(m.status == S.PENDING, m.status == S.QUEUED)
    due = or_(m.next_attempt_at.is_(None), m.next_attempt_at <= _when("now"))
    return Statements(
        due=select(m.id, m.recipient, m.body, m.language, m.message_class, m.created_at,
                   m.attempts, m.kind, BROADCASTS.c.status.label("broadcast_status"),
                   DOCUMENTS.c.status.label("document_status"),
                   BOOKINGS.c.status.label("booking_status"))
        .select_from(MESSAGES.outerjoin(BROADCASTS, m.broadcast_id == BROADCASTS.c.id)
                     .outerjoin(DOCUMENTS, m.document_id == DOCUMENTS.c.id)
                     .outerjoin(BOOKINGS, m.booking_id == BOOKINGS.c.id))
        .where(ids, active, due)
        .order_by(m.id),
        claim=update(MESSAGES).where(ids, active, due)
        .values(status=S.SENDING, attempts=m.attempts + 1, next_attempt_at=_when("lease_end"))
        .returning(m.id, m.attempts),
        held=select(m.id, m.next_attempt_at).where(ids, m.status == S.SENDING)
        .order_by(m.id).with_for_update(),
        put_back=update(MESSAGES).where(ids, active)
        .values(status=S.QUEUED, next_attempt_at=_when("soon")),
        settle=update(MESSAGES).where(m.id == bindparam("m_id"), active)
        .values(status=bindparam("status_v"), failure_reason=bindparam("failure_reason_v"),
                next_attempt_at=_when("next_attempt_at_v")),
        outcome=update(MESSAGES)
        .where(m.id == bindparam("m_id"), m.status == S.SENDING,
               m.next_attempt_at == _when("m_lease"))
        .values({name: bindparam(name + "_v", type_=m[name].type) for name in OUTCOME_COLUMNS}),
        pg_write=text(PG_WRITE).bindparams(
            bindparam("m_id", type_=ARRAY(BigInteger)),
            bindparam("m_lease", type_=ARRAY(DateTime)),
            *(bindparam(f"{c}_v", type_=ARRAY(ARRAY_TYPES[c])) for c in OUTCOME_COLUMNS),
        ),
    )  # fmt: skip


def of(conn: Connection) -> Statements:
    """The statements for the connection's database."""
    return statements(conn.dialect.name)


def due_rows(conn: Connection, ids: list[int], now: datetime) -> list[DueMessage]:
    """The messages among `ids` still waiting and due, with their broadcast's status."""
    return [DueMessage(*row) for row in conn.execute(of(conn).due, {"ids": ids, "now": now})]


def settle(conn: Connection, settlements: list[Settlement]) -> None:
    """Write the verdicts of messages that will not be sent now."""
    if settlements:
        conn.execute(of(conn).settle, [_settle_params(s) for s in settlements])


def _settle_params(settlement: Settlement) -> dict[str, Any]:
    return {"m_id": settlement.message_id, "status_v": settlement.status,
            "failure_reason_v": settlement.failure_reason,
            "next_attempt_at_v": settlement.next_attempt_at}  # fmt: skip


def claim(conn: Connection, ids: list[int], now: datetime, lease_end: datetime) -> dict[int, int]:
    """Mark due, waiting messages as sending until `lease_end`; return {id: attempts} won."""
    params = {"ids": ids, "now": now, "lease_end": lease_end}
    return {row.id: row.attempts for row in conn.execute(of(conn).claim, params)}


def put_back(conn: Connection, ids: list[int], soon: datetime) -> None:
    """Leave unclaimed messages queued, due at `soon`."""
    conn.execute(of(conn).put_back, {"ids": ids, "soon": soon})


def write(conn: Connection, records: list[Record]) -> set[int]:
    """Write the records whose claim still holds; return their message ids."""
    if not records:
        return set()
    if conn.dialect.name == "postgresql":
        return set(conn.scalars(of(conn).pg_write, _pg_columns(records)))
    # Elsewhere: lock-free but single-writer; read which claims hold, then write those.
    ids = sorted(record.message_id for record in records)
    held = {row.id: row.next_attempt_at for row in conn.execute(of(conn).held, {"ids": ids})}
    keep = [record for record in records if held.get(record.message_id) == record.lease_end]
    if keep:
        conn.execute(of(conn).outcome, [_outcome_params(record) for record in keep])
    return {record.message_id for record in keep}


def _outcome_params(record: Record) -> dict[str, Any]:
    params = {f"{name}_v": getattr(record, name) for name in OUTCOME_COLUMNS}
    params.update(m_id=record.message_id, m_lease=record.lease_end)
    return params


def _pg_columns(records: list[Record]) -> dict[str, list[Any]]:
    # One array per column: the statement unnests them into rows.
    columns = {"m_id": [record.message_id for record in records],
               "m_lease": [_naive(record.lease_end) for record in records]}  # fmt: skip
    for name in OUTCOME_COLUMNS:
        values = list(map(attrgetter(name), records))
        columns[f"{name}_v"] = [_naive(v) for v in values] if name in TIMES else values
    return columns


def _naive(value: Any) -> Any:
    # The arrays skip the column type that stores UTC as naive timestamps; do it here.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
