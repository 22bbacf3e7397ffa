"""Send a batch of outbox messages: re-read, filter, then claim, send and record call by call."""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from sms.calls import Batch, Call, Clock, Db, Finished, Item, Tally, Verdict
from sms.calls import Delivery as Delivery
from sms.ledger import DueMessage, Settlement
from sms.quiet import next_window_start
from sms.ratelimit import RateLimited, take_send_tokens
from sms.recording import record_calls
from sms.sender import Outcome, Result
from sms.templates import with_opt_out

log = logging.getLogger(__name__)
S = MessageStatus
Flying = dict[Future[dict[str, Outcome]], Call]


@dataclass(slots=True)
class Window:
    """The send loop's state: calls still to start and calls sent but not yet recorded."""

    pool: ThreadPoolExecutor
    size: int
    todo: deque[Call]
    flying: Flying = field(default_factory=dict)


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
    # One pinned connection per batch: no pool checkout or ping per statement.
    with ctx.engine.connect() as conn, ctx.session_factory(bind=conn) as session:
        batch = Batch(ctx, Db(conn, session), clock, deadline)
        groups = prepare(batch, ids)
        send_all(batch, plan_calls(ctx.settings, groups))
    return batch.tally


def prepare(batch: Batch, ids: Sequence[int]) -> dict[str, list[Item]]:
    """Settle the messages that must not go out now; return the rest grouped by final text."""
    groups: dict[str, list[Item]] = defaultdict(list)
    settled = []
    now, conn = batch.clock(), batch.db.conn
    with conn.begin():
        rows = ledger.due_rows(conn, list(ids), now)
        blocked = optouts.reasons(conn, (row.recipient for row in rows))
        for row in rows:
            verdict, settlement = decide(batch.settings, row, blocked, now)
            batch.tally[verdict] += 1
            if verdict == Verdict.SEND:
                groups[composed(row)].append(
                    Item(row.id, row.recipient, row.created_at, row.attempts)
                )
            elif settlement is not None:
                settled.append(settlement)
        ledger.settle(conn, settled)
    return groups


def decide(
    settings: Settings, row: DueMessage, blocked: dict[str, str], now: datetime
) -> tuple[Verdict, Settlement | None]:
    """Return what to do with one message and what to write unless it is sent."""
    if row.broadcast_status == BroadcastStatus.PAUSED:
        return Verdict.PAUSED, None
    if row.broadcast_status == BroadcastStatus.CANCELLED:
        return Verdict.CANCELLED, Settlement(row.id, S.CANCELLED)
    stale = stale_reminder(row)
    if stale:
        return Verdict.CANCELLED, Settlement(row.id, S.CANCELLED, stale)
    reason = blocked.get(row.recipient)
    if optouts.blocks(reason, row.message_class):
        count_sms(S.SUPPRESSED, reason or "")
        return Verdict.SUPPRESSED, Settlement(row.id, S.SUPPRESSED, reason)
    if row.message_class == MessageClass.AWARENESS:
        opens = next_window_start(now, settings.sms_awareness_window, settings.timezone)
        if opens is not None:
            return Verdict.DEFERRED, Settlement(row.id, S.QUEUED, next_attempt_at=opens)
    return Verdict.SEND, None


def stale_reminder(row: DueMessage) -> str | None:
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


def composed(row: DueMessage) -> str:
    """The text as sent: awareness messages carry the opt-out line."""
    if row.message_class == MessageClass.AWARENESS:
        return with_opt_out(row.body, row.language)
    return row.body


def call_size(settings: Settings) -> int:
    """Numbers per call: SMS_BATCH_SIZE, and never more than one second of the rate."""
    return max(1, min(settings.sms_batch_size, int(settings.sms_rate_per_second)))


def plan_calls(settings: Settings, groups: dict[str, list[Item]]) -> list[Call]:
    """One call per chunk of identical texts."""
    size = call_size(settings)
    return [
        Call(text, tuple(chunk))
        for text, group in groups.items()
        for chunk in unique_chunks(group, size)
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


def send_all(batch: Batch, calls: list[Call]) -> None:
    """Send the calls, at most SMS_SEND_CONCURRENCY of them sent and not yet recorded."""
    size = max(1, batch.settings.sms_send_concurrency)
    with ThreadPoolExecutor(size, thread_name_prefix="sms-send") as pool:
        window = Window(pool, size, deque(calls))
        try:
            while window.todo or window.flying:
                step(batch, window)
        finally:
            # A stop or a hard timeout lands here: first record what AT has already answered.
            if window.flying:
                wait(window.flying)
                record_calls(batch, [_finish(f, window.flying) for f in window.flying])


def step(batch: Batch, window: Window) -> None:
    """Start calls while the window has room, then record the calls that have finished.

    Past the batch's deadline no new call starts: the rest are put back, due at once.
    """
    if window.todo and batch.deadline is not None and time.monotonic() > batch.deadline:
        put_back(batch, list(window.todo), soon=0.0)
        window.todo.clear()
    if window.todo and len(window.flying) <= window.size // 2:
        launch(batch, window)
    if window.flying:
        done, _ = wait(window.flying, return_when=FIRST_COMPLETED)
        record_calls(batch, [_finish(f, window.flying) for f in done])
        for future in done:  # only once recorded: an interruption re-records them
            del window.flying[future]


def launch(batch: Batch, window: Window) -> None:
    """Take send tokens for the next few calls, claim their rows, and start them."""
    settings = batch.settings
    wave = next_wave(window.todo, window.size - len(window.flying), call_size(settings))
    numbers = sum(len(c.items) for c in wave)
    try:
        take_send_tokens(batch.ctx.redis, numbers, settings.sms_rate_per_second,
                         wait=settings.sms_rate_wait_seconds)  # fmt: skip
    except RateLimited as exc:
        wave += window.todo
        window.todo.clear()
        put_back(batch, wave)
        log.warning("sms: %s; %d messages put back", exc, sum(len(c.items) for c in wave))
        return
    send = batch.ctx.sender.send
    for call in claim_calls(batch, wave):
        window.flying[window.pool.submit(send, call.text, call.recipients)] = call


def next_wave(todo: deque[Call], free: int, numbers: int) -> list[Call]:
    """Pop up to `free` calls holding at most `numbers` recipients (always at least one)."""
    wave = [todo.popleft()]
    held = len(wave[0].items)
    while todo and len(wave) < free and held + len(todo[0].items) <= numbers:
        held += len(todo[0].items)
        wave.append(todo.popleft())
    return wave


def claim_calls(batch: Batch, calls: list[Call]) -> list[Call]:
    """Claim the calls' rows right before sending; keep only what this claim won."""
    now, conn = batch.clock(), batch.db.conn
    lease_end = now + timedelta(seconds=batch.settings.sms_lease_seconds)
    with conn.begin():
        won = ledger.claim(conn, [i.id for c in calls for i in c.items], now, lease_end)
    claimed = []
    for call in calls:
        items = tuple(
            Item(i.id, i.recipient, i.created_at, won[i.id]) for i in call.items if i.id in won
        )
        if items:
            claimed.append(Call(call.text, items, lease_end))
    return claimed


def put_back(batch: Batch, calls: list[Call], soon: float | None = None) -> None:
    """Leave unclaimed messages queued, due `soon` seconds from now (the sweeper enqueues them)."""
    ids = [item.id for call in calls for item in call.items]
    delay = batch.settings.sms_rate_wait_seconds if soon is None else soon
    with batch.db.conn.begin():
        ledger.put_back(batch.db.conn, ids, batch.clock() + timedelta(seconds=delay))
    batch.tally[Tally.PUT_BACK] += len(ids)


def _finish(future: Future[dict[str, Outcome]], flying: Flying) -> Finished:
    call = flying[future]
    try:
        return Finished(call, future.result())
    except Exception as exc:  # a bug in a sender must not cost the other calls' outcomes
        log.exception("sms call failed unexpectedly")
        failure = Outcome(Result.RETRY, "Error", error=str(exc)[:200])
        return Finished(call, dict.fromkeys(call.recipients, failure))
