"""One hop, once through: load the session, advance the engine, commit, save, reply.

The machinery knows no menu: the app registers a `Content` (menus, and how to build their
context for one hop) and this module runs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from identifiers.numbers import keyed_hash, mask_phone
from models import utcnow
from models.work import Work
from ops.breaker import State as Circuit
from ops.dbwatch import deadline
from ops.metrics import DEPENDENCY_ERRORS, HopOutcome, count_hop
from ops.runtime import Runtime
from ussd.engine import Menus, Screen, State, advance, offer_resume, rebuild
from ussd.protocol import Hop, new_input, reply
from ussd.store import Loaded, Record, SessionStore, store_for
from words.i18n import N_, say

log = logging.getLogger(__name__)
C = TypeVar("C")
Reader = Callable[[], Session]  # the hop's autocommit session for lookups, opened on first use
BUSY = N_("Service busy. Please try again in a few minutes.")
FOREIGN = N_("This service is not available on this code.")
DEADLINE_MARGIN = 0.3  # the server's statement timeout should speak first


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, on which session, and when this hop began."""

    phone: str
    phone_key: str
    session_id: str
    network_code: str
    now: datetime
    started: float  # time.monotonic() when the hop began (for deadlines)


@dataclass(frozen=True, slots=True)
class Content(Generic[C]):
    """What the app registers: its menus, their context for one hop, a phone's chosen language."""

    menus: Menus[C]
    context: Callable[[Caller, Work, Reader], C]
    language: Callable[[Session, str], str | None]


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply body of a hop and the language it is in."""

    body: str
    lang: str


def answer(hop: Hop, found: Runtime, content: Content[Any], work: Work, reader: Reader) -> Answer:
    """Answer a hop; a replay gets the reply it got before; outages get a polite END in time."""
    settings = found.settings
    if settings.ussd_service_codes and hop.service_code not in settings.ussd_service_codes:
        log.warning("ussd: foreign service code %r", hop.service_code[:20])
        count_hop(HopOutcome.FOREIGN)
        return Answer(reply(say(settings.default_language, FOREIGN), end=True), "")
    caller = Caller(hop.phone, keyed_hash(hop.phone, settings.secret_key), hop.session_id,
                    hop.network_code, utcnow(), time.monotonic())  # fmt: skip
    hopper = Hopper(found, content, work, reader, store_for(settings, found.redis))
    # The database gets what is left of the hop's time, then the watchdog cuts its connection.
    with deadline(settings.ussd_hop_deadline + DEADLINE_MARGIN):
        return hopper.answer(hop, caller)


def outcome_of(strikes_before: int, state: State, screen: Screen) -> HopOutcome:
    """A refused input (the screen counted one more strike), a final screen, or a served one."""
    if state.invalid > strikes_before:
        return HopOutcome.INVALID
    return HopOutcome.ENDED if screen.end else HopOutcome.SERVED


@dataclass(slots=True)
class Hopper:
    """One hop's dependencies; `answer` runs the hop and turns outages into a polite END."""

    found: Runtime
    content: Content[Any]
    work: Work
    reader: Reader
    store: SessionStore
    lang: str = ""
    screen: str = ""

    def answer(self, hop: Hop, caller: Caller) -> Answer:
        breakers = self.found.breakers
        if not breakers.allow():  # a dependency failed a moment ago: do not wait on it again
            return self.busy(hop, caller, HopOutcome.SHED)
        try:
            found = self.attempt(hop, caller)
        except RedisError as exc:
            breakers.redis.failed(type(exc).__name__)
            log.error("ussd: redis unavailable: %s", type(exc).__name__)
        except SQLAlchemyError as exc:
            self.database_failed(exc)
        except Exception:  # the edge: never let a caller see a 5xx
            log.exception("ussd: hop failed for %s", mask_phone(hop.phone))
        else:
            breakers.database.succeeded()
            breakers.redis.succeeded()
            return found
        self.work.rollback()
        return self.busy(hop, caller, HopOutcome.BUSY)

    def attempt(self, hop: Hop, caller: Caller) -> Answer:
        """Serve the hop; once more if a pooled connection turned out dead (a restarted DB)."""
        try:
            return self.serve(hop, caller)
        except IntegrityError:
            # A twin of this hop won the race to the same side effect: run again, find its result.
            self.work.rollback()
            return self.serve(hop, caller)
        except DBAPIError as exc:
            if not exc.connection_invalidated or self.past_half_time(caller):
                raise
            log.warning("ussd: a pooled database connection was dead; serving the hop again")
            self.work.rollback()
            return self.serve(hop, caller)

    def past_half_time(self, caller: Caller) -> bool:
        return time.monotonic() - caller.started > self.found.settings.ussd_hop_deadline / 2

    def database_failed(self, exc: SQLAlchemyError) -> None:
        kind = type(getattr(exc, "orig", None) or exc).__name__
        log.error("ussd: database unavailable: %s", kind)
        if kind != "QueryCanceled":  # a slow statement is not an outage: count it, stay closed
            self.found.breakers.database.failed(kind)
        else:
            DEPENDENCY_ERRORS.labels("database", kind).inc()

    def serve(self, hop: Hop, caller: Caller) -> Answer:
        loaded = self.store.load(hop.session_id, caller.phone_key)
        record = loaded.record
        self.lang = loaded.lang or self.lang
        if record is not None:
            self.lang = record.state.lang
            known = record.reply_to(hop.text)
            if record.ended or known is not None or new_input(hop.text, record.text) is None:
                # The session ended, the hop is a replay, or its text is stray: act on nothing.
                count_hop(HopOutcome.REPLAYED, record.state.screen)
                return Answer(known or record.reply, self.lang)
        ctx = self.content.context(caller, self.work, self.reader)
        strikes = record.state.invalid if record is not None else 0  # `step` moves the state on
        state, screen = self.step(record, loaded, hop, ctx)
        self.lang, self.screen = state.lang, state.screen
        self.work.commit()
        body = reply(screen.text, end=screen.end)
        self.save(hop, caller, loaded, Record(state, hop.text, body, ended=screen.end))
        count_hop(outcome_of(strikes, state, screen), state.screen)
        return Answer(body, state.lang)

    def step(
        self, record: Record | None, loaded: Loaded, hop: Hop, ctx: Any
    ) -> tuple[State, Screen]:
        menus = self.content.menus
        if record is not None:
            return advance(record.state, new_input(hop.text, record.text) or "", menus, ctx)
        if loaded.saved is not None and not hop.text:
            return offer_resume(loaded.saved, menus, ctx)
        lang = (
            loaded.lang or self.chosen_language(hop.phone) or self.found.settings.default_language
        )
        return rebuild(menus, ctx, lang, hop.text.split("*") if hop.text else [])

    def chosen_language(self, phone: str) -> str | None:
        return self.content.language(self.reader(), phone)

    def save(self, hop: Hop, caller: Caller, loaded: Loaded, fresh: Record) -> None:
        record = loaded.record
        saved = record.then(fresh.state, hop.text, fresh.reply, fresh.ended) if record else fresh
        root = self.content.menus.root
        resumable = not fresh.ended and fresh.state.screen not in (root, "resume")
        lang = fresh.state.lang if fresh.state.lang != loaded.lang else ""
        self.store.save(hop.session_id, caller.phone_key, saved, resumable, lang)

    def busy(self, hop: Hop, caller: Caller, why: HopOutcome) -> Answer:
        """Apologise in the caller's language; end the session for good while Redis answers."""
        count_hop(why, self.screen)
        lang = self.lang or self.stored_language(hop.phone) or self.found.settings.default_language
        body = reply(say(lang, BUSY), end=True)
        if self.found.breakers.redis.state is Circuit.CLOSED:
            try:
                self.store.end(hop.session_id, hop.text, body)
            except RedisError as exc:  # nothing acted; the breaker keeps others from waiting
                self.found.breakers.redis.failed(type(exc).__name__)
        return Answer(body, lang)

    def stored_language(self, phone: str) -> str | None:
        if self.found.breakers.database.state is not Circuit.CLOSED:
            return None
        try:
            return self.chosen_language(phone)
        except SQLAlchemyError:
            return None
