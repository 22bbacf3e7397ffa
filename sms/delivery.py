"""Send a batch of outbox messages: re-read, filter, then claim, send and record call by call."""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import (
    BookingStatus,
    BroadcastStatus,
    DocumentStatus,
    MessageClass,
    MessageStatus,
    utcnow,
)
from ops.metrics import count_sms
from sms import ledger, optouts
from sms.quiet import next_window_start
from sms.ratelimit import RateLimited, take_send_tokens
from sms.recording import Call, Db, Finished, Item, record_calls
from sms.sender import RETRY, Outcome, Sender
from sms.templates import with_opt_out

log = logging.getLogger(__name__)
S = MessageStatus
SEND = "send"
Clock = Callable[[], datetime]
Flying = dict[Future[dict[str, Outcome]], Call]


@dataclass(slots=True)
class Delivery:
    """What sending needs: settings, the database, Redis for the rate limit, a sender."""

    settings: Settings
    session_factory: sessionmaker[Session]
    redis: Redis
    sender: Sender

    @property
    def engine(self) -> Engine:
        """The engine the session factory is bound to."""
        bound: Engine = self.session_factory.kw["bind"]
        return bound


def deliver(
    ctx: Delivery,
    ids: Sequence[int],
    now: datetime | None = None,
    deadline: float | None = None,
) -> Counter[str]:
    """Send whichever of `ids` are due; safe to run twice or concurrently.

    No call starts after `deadline` (a monotonic time): a job stops before its RQ timeout.
    """
    clock: Clock = (lambda: now) if now is not None else utcnow
    tally: Counter[str] = Counter()
    # One pinned connection per batch: no pool checkout or ping per statement.
    with ctx.engine.connect() as conn, ctx.session_factory(bind=conn) as session:
        groups = prepare(ctx, conn, ids, clock(), tally)
        calls = plan_calls(ctx.settings, groups)
        send_all(ctx, Db(conn, session), calls, clock, tally, deadline)
    return tally


def prepare(
    ctx: Delivery, conn: Connection, ids: Sequence[int], now: datetime, tally: Counter[str]
) -> dict[str, list[Item]]:
    """Settle the messages that must not go out now; return the rest grouped by final text."""
    groups: dict[str, list[Item]] = defaultdict(list)
    settled = []
    with conn.begin():
        rows = ledger.due_rows(conn, list(ids), now)
        blocked = optouts.reasons(conn, (row.recipient for row in rows))
        for row in rows:
            verdict, values = decide(ctx.settings, row, blocked, now)
            tally[verdict] += 1
            if verdict == SEND:
                item = Item(row.id, row.recipient, row.created_at, row.attempts)
                groups[composed(row)].append(item)
            elif values:
                settled.append({"m_id": row.id, "failure_reason_v": None,
                                "next_attempt_at_v": None} | values)  # fmt: skip
        ledger.settle(conn, settled)
    return groups


def decide(
    settings: Settings, row: Any, blocked: dict[str, str], now: datetime
) -> tuple[str, dict[str, Any]]:
    """Return what to do with one message and the columns to change unless it is sent."""
    if row.broadcast_status == BroadcastStatus.PAUSED:
        return "paused", {}
    if row.broadcast_status == BroadcastStatus.CANCELLED:
        return "cancelled", {"status_v": S.CANCELLED}
    stale = stale_reminder(row)
    if stale:
        return "cancelled", {"status_v": S.CANCELLED, "failure_reason_v": stale}
    reason = blocked.get(row.recipient)
    if optouts.blocks(reason, row.message_class):
        count_sms(S.SUPPRESSED, reason or "")
        return "suppressed", {"status_v": S.SUPPRESSED, "failure_reason_v": reason}
    if row.message_class == MessageClass.AWARENESS:
        opens = next_window_start(now, settings.sms_awareness_window, settings.timezone)
        if opens is not None:
            return "deferred", {"status_v": S.QUEUED, "next_attempt_at_v": opens}
    return SEND, {}


def stale_reminder(row: Any) -> str | None:
    """Why a queued reminder must no longer go out (collected, booking cancelled), if so."""
    if row.kind != "reminder":
        return None
    if (
        row.document_status is not None
        and row.document_status != DocumentStatus.READY_FOR_COLLECTION
    ):
        return "DocumentNotWaiting"
    if row.booking_status is not None and row.booking_status != BookingStatus.ACTIVE:
        return "BookingNotActive"
    return None


def composed(row: Any) -> str:
    """The text as sent: awareness messages carry the opt-out line."""
    if row.message_class == MessageClass.AWARENESS:
        return with_opt_out(row.body, row.language)
    return str(row.body)


def call_size(settings: Settings) -> int:
    """Numbers per call: SMS_BATCH_SIZE, and never more than one second of the rate."""
    return max(1, min(settings.sms_batch_size, int(settings.sms_rate_per_second)))


def plan_calls(settings: Settings, groups: dict[str, list[Item]]) -> list[Call]:
    """One call per chunk of identical texts."""
    size = call_size(settings)
    return [
        Call(text, chunk) for text, group in groups.items() for chunk in unique_chunks(group, size)
    ]


def unique_chunks(items: list[Item], size: int) -> list[list[Item]]:
    """Split into calls of at most `size`, never naming a number twice in one call."""
    chunks: list[list[Item]] = []
    numbers: list[set[str]] = []
    for item in items:
        home = next(
            (i for i, c in enumerate(chunks) if len(c) < size and item.recipient not in numbers[i]),
            None,
        )
        if home is None:
            chunks.append([item])
            numbers.append({item.recipient})
        else:
            chunks[home].append(item)
            numbers[home].add(item.recipient)
    return chunks


def send_all(
    ctx: Delivery,
    db: Db,
    calls: list[Call],
    clock: Clock,
    tally: Counter[str],
    deadline: float | None = None,
) -> None:
    """Send the calls, at most SMS_SEND_CONCURRENCY of them sent and not yet recorded.

    Past `deadline` (monotonic) no new call starts: the rest are put back, due at once.
    """
    window = max(1, ctx.settings.sms_send_concurrency)
    todo, flying = deque(calls), Flying()
    with ThreadPoolExecutor(window, thread_name_prefix="sms-send") as pool:
        try:
            while todo or flying:
                if todo and deadline is not None and time.monotonic() > deadline:
                    put_back(ctx, db.conn, list(todo), clock(), tally, soon=0.0)
                    todo.clear()
                if todo and len(flying) <= window // 2:
                    launch(ctx, db.conn, pool, todo, window - len(flying), flying, clock, tally)
                if flying:
                    done, _ = wait(flying, return_when=FIRST_COMPLETED)
                    record_calls(ctx, db, [_finish(f, flying) for f in done], clock(), tally)
                    for future in done:  # only once recorded: an interruption re-records them
                        del flying[future]
        finally:
            # A stop or a hard timeout lands here: first record what AT has already answered.
            if flying:
                wait(flying)
                record_calls(ctx, db, [_finish(f, flying) for f in flying], clock(), tally)


def launch(
    ctx: Delivery,
    conn: Connection,
    pool: ThreadPoolExecutor,
    todo: deque[Call],
    free: int,
    flying: Flying,
    clock: Clock,
    tally: Counter[str],
) -> None:
    """Take send tokens for the next few calls, claim their rows, and start them."""
    wave = next_wave(todo, free, call_size(ctx.settings))
    numbers = sum(len(c.items) for c in wave)
    try:
        take_send_tokens(ctx.redis, numbers, ctx.settings.sms_rate_per_second,
                         wait=ctx.settings.sms_rate_wait_seconds)  # fmt: skip
    except RateLimited as exc:
        wave += todo
        todo.clear()
        put_back(ctx, conn, wave, clock(), tally)
        log.warning("sms: %s; %d messages put back", exc, sum(len(c.items) for c in wave))
        return
    for call in claim_calls(ctx, conn, wave, clock()):
        flying[pool.submit(ctx.sender.send, call.text, [i.recipient for i in call.items])] = call


def next_wave(todo: deque[Call], free: int, numbers: int) -> list[Call]:
    """Pop up to `free` calls holding at most `numbers` recipients (always at least one)."""
    wave = [todo.popleft()]
    held = len(wave[0].items)
    while todo and len(wave) < free and held + len(todo[0].items) <= numbers:
        held += len(todo[0].items)
        wave.append(todo.popleft())
    return wave


def claim_calls(ctx: Delivery, conn: Connection, calls: list[Call], now: datetime) -> list[Call]:
    """Claim the calls' rows right before sending; keep only what this claim won."""
    lease_end = now + timedelta(seconds=ctx.settings.sms_lease_seconds)
    with conn.begin():
        won = ledger.claim(conn, [i.id for c in calls for i in c.items], now, lease_end)
    claimed = []
    for call in calls:
        items = [
            Item(i.id, i.recipient, i.created_at, won[i.id]) for i in call.items if i.id in won
        ]
        if items:
            claimed.append(Call(call.text, items, lease_end))
    return claimed


def put_back(
    ctx: Delivery,
    conn: Connection,
    calls: list[Call],
    now: datetime,
    tally: Counter[str],
    soon: float | None = None,
) -> None:
    """Leave unclaimed messages queued, due `soon` seconds from now (the sweeper enqueues them)."""
    ids = [item.id for call in calls for item in call.items]
    delay = ctx.settings.sms_rate_wait_seconds if soon is None else soon
    with conn.begin():
        ledger.put_back(conn, ids, now + timedelta(seconds=delay))
    tally["put_back"] += len(ids)


def _finish(future: Future[dict[str, Outcome]], flying: Flying) -> Finished:
    call = flying[future]
    try:
        return call, future.result()
    except Exception as exc:  # a bug in a sender must not cost the other calls' outcomes
        log.exception("sms call failed unexpectedly")
        failure = Outcome(RETRY, "Error", error=str(exc)[:200])
        return call, dict.fromkeys((i.recipient for i in call.items), failure)
