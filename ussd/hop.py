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
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from identifiers.numbers import keyed_hash, mask_phone
from models import utcnow
from models.work import Work
from ops.runtime import Runtime
from ussd.engine import Menus, Screen, State, advance, offer_resume, rebuild
from ussd.protocol import Hop, new_input, reply
from ussd.store import Loaded, Record, SessionStore, store_for
from words.i18n import N_, say

log = logging.getLogger(__name__)
C = TypeVar("C")
BUSY = N_("Service busy. Please try again in a few minutes.")
FOREIGN = N_("This service is not available on this code.")


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
    context: Callable[[Caller, Work, Session], C]
    language: Callable[[Session, str], str | None]


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply body of a hop and the language it is in."""

    body: str
    lang: str


def answer(hop: Hop, found: Runtime, content: Content[Any], work: Work, reader: Session) -> Answer:
    """Answer a hop; a replay gets the reply it got before; outages get a polite END."""
    settings = found.settings
    if settings.ussd_service_codes and hop.service_code not in settings.ussd_service_codes:
        log.warning("ussd: foreign service code %r", hop.service_code[:20])
        return Answer(reply(say(settings.default_language, FOREIGN), end=True), "")
    caller = Caller(hop.phone, keyed_hash(hop.phone, settings.secret_key), hop.session_id,
                    hop.network_code, utcnow(), time.monotonic())  # fmt: skip
    hopper = Hopper(found, content, work, reader, store_for(settings, found.redis))
    return hopper.answer(hop, caller)


@dataclass(slots=True)
class Hopper:
    """One hop's dependencies; `answer` runs the hop and turns outages into a polite END."""

    found: Runtime
    content: Content[Any]
    work: Work
    reader: Session
    store: SessionStore
    lang: str = ""

    def answer(self, hop: Hop, caller: Caller) -> Answer:
        try:
            return self.serve(hop, caller)
        except IntegrityError:
            # A twin of this hop won the race to the same side effect: run again, find its result.
            self.work.rollback()
            return self.serve(hop, caller)
        except (RedisError, SQLAlchemyError) as exc:
            log.error("ussd: backend unavailable: %s", type(exc).__name__)
        except Exception:  # the edge: never let a caller see a 5xx
            log.exception("ussd: hop failed for %s", mask_phone(hop.phone))
        self.work.rollback()
        return self.busy(hop, caller)

    def serve(self, hop: Hop, caller: Caller) -> Answer:
        loaded = self.store.load(hop.session_id, caller.phone_key)
        record = loaded.record
        self.lang = loaded.lang or self.lang
        if record is not None:
            self.lang = record.state.lang
            known = record.reply_to(hop.text)
            if record.ended or known is not None or new_input(hop.text, record.text) is None:
                # The session ended, the hop is a replay, or its text is stray: act on nothing.
                return Answer(known or record.reply, self.lang)
        ctx = self.content.context(caller, self.work, self.reader)
        state, screen = self.step(record, loaded, hop, ctx)
        self.lang = state.lang
        self.work.commit()
        body = reply(screen.text, end=screen.end)
        self.save(hop, caller, loaded, Record(state, hop.text, body, ended=screen.end))
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
        return self.content.language(self.reader, phone)

    def save(self, hop: Hop, caller: Caller, loaded: Loaded, fresh: Record) -> None:
        record = loaded.record
        saved = record.then(fresh.state, hop.text, fresh.reply, fresh.ended) if record else fresh
        root = self.content.menus.root
        resumable = not fresh.ended and fresh.state.screen not in (root, "resume")
        lang = fresh.state.lang if fresh.state.lang != loaded.lang else ""
        self.store.save(hop.session_id, caller.phone_key, saved, resumable, lang)

    def busy(self, hop: Hop, caller: Caller) -> Answer:
        """Apologise in the caller's language, and end the session for good if Redis allows."""
        lang = self.lang or self.stored_language(hop.phone) or self.found.settings.default_language
        body = reply(say(lang, BUSY), end=True)
        try:
            self.store.end(hop.session_id, hop.text, body)
        except RedisError:
            pass  # Redis is what failed: the session cannot be marked, and nothing acted
        return Answer(body, lang)

    def stored_language(self, phone: str) -> str | None:
        try:
            return self.chosen_language(phone)
        except SQLAlchemyError:
            return None
