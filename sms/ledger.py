"""The outbox rows a send touches: claim them under a lease, write outcomes only under it.

Statements are built once per dialect and take every value as a parameter, so a batch of
messages costs a few statements on one connection, not a compile or a round trip per message.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
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

from config import Settings
from models import Booking, Broadcast, Document, Message, MessageStatus
from sms.sender import FAILED, SENT, Outcome

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
# One statement writes every outcome of a group; the claim (status and lease end) must hold.
PG_WRITE = f"""
UPDATE messages AS m SET {", ".join(f"{c} = v.{c}" for c in OUTCOME_COLUMNS)}
FROM unnest(:m_id, {", ".join(f":{c}_v" for c in OUTCOME_COLUMNS)}, :m_lease)
     AS v(id, {", ".join(OUTCOME_COLUMNS)}, lease)
WHERE m.id = v.id AND m.status = 'sending' AND m.next_attempt_at = v.lease
RETURNING m.id
"""


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


def due_rows(conn: Connection, ids: list[int], now: datetime) -> list[Any]:
    """The messages among `ids` still waiting and due, with their broadcast's status."""
    return list(conn.execute(of(conn).due, {"ids": ids, "now": now}).all())


def settle(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write the verdicts of messages that will not be sent now (cancelled, suppressed...)."""
    if rows:
        conn.execute(of(conn).settle, rows)


def claim(conn: Connection, ids: list[int], now: datetime, lease_end: datetime) -> dict[int, int]:
    """Mark due, waiting messages as sending until `lease_end`; return {id: attempts} won."""
    params = {"ids": ids, "now": now, "lease_end": lease_end}
    return {row.id: row.attempts for row in conn.execute(of(conn).claim, params)}


def put_back(conn: Connection, ids: list[int], soon: datetime) -> None:
    """Leave unclaimed messages queued, due at `soon`."""
    conn.execute(of(conn).put_back, {"ids": ids, "soon": soon})


def write(conn: Connection, rows: list[dict[str, Any]]) -> set[int]:
    """Write outcomes (rows from `outcome_values`) whose claim still holds; return their ids."""
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        columns = {key: [_naive(row[key]) for row in rows] for key in rows[0]}
        return set(conn.scalars(of(conn).pg_write, columns))
    # Elsewhere: lock-free but single-writer; read which claims hold, then write those.
    ids = sorted(row["m_id"] for row in rows)
    held = {row.id: row.next_attempt_at for row in conn.execute(of(conn).held, {"ids": ids})}
    keep = [row for row in rows if held.get(row["m_id"]) == row["m_lease"]]
    if keep:
        conn.execute(of(conn).outcome, keep)
    return {row["m_id"] for row in keep}


def _naive(value: Any) -> Any:
    # The arrays skip the column type that stores UTC as naive timestamps; do it here.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def outcome_values(
    settings: Settings, created_at: datetime, attempts: int, outcome: Outcome, now: datetime
) -> dict[str, Any]:
    """The columns to write for one outcome (every column, so one statement writes many)."""
    values: dict[str, Any] = dict.fromkeys(name + "_v" for name in OUTCOME_COLUMNS)
    if outcome.result == SENT:
        values.update(status_v=S.SENT, at_message_id_v=outcome.at_message_id,
                      cost_v=outcome.cost, sent_at_v=now)  # fmt: skip
        return values
    error = f"{outcome.reason}: {outcome.error or ''}"[:200]
    expired = now - created_at > timedelta(hours=settings.sms_retry_hours)
    if outcome.result == FAILED or expired:
        reason = outcome.reason if outcome.result == FAILED else f"RetryExpired: {outcome.reason}"
        values.update(status_v=S.FAILED, failure_reason_v=(reason or "")[:60], last_error_v=error)
        return values
    delay = backoff(settings, attempts)
    values.update(status_v=S.QUEUED, last_error_v=error,
                  next_attempt_at_v=now + timedelta(seconds=delay))  # fmt: skip
    return values


def backoff(settings: Settings, attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), capped, times 0.5-1.0."""
    grown = settings.sms_retry_base_seconds * 2.0 ** max(0, attempts - 1)
    return float(min(grown, settings.sms_retry_max_seconds) * random.uniform(0.5, 1.0))
