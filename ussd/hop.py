"""One hop end to end: load the session, advance the engine, commit, save, reply."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from menus.common import HopContext
from menus.registry import build
from models import utcnow
from ops.wiring import Services
from services.identity import keyed_hash
from services.languages import preferred
from ussd.engine import Menus, Screen, State, advance, offer_resume, rebuild
from ussd.protocol import Hop, new_input, reply
from ussd.store import Record, SessionStore


def store_of(found: Services) -> SessionStore:
    """Return the session store the settings describe."""
    settings = found.settings
    return SessionStore(found.redis, settings.ussd_session_ttl, settings.ussd_resume_seconds)


def serve(
    hop: Hop, found: Services, session: Session, seen: dict[str, Any], reader: Session | None = None
) -> str:
    """Return the reply body of a hop; a replayed hop gets the reply it got before."""
    session.info[CAP_KEY] = max(int(found.settings.ussd_statement_timeout * 1000), 1)
    try:
        return _serve(hop, found, session, seen, reader)
    except IntegrityError:
        # A twin of this hop won the race to the same side effect; run again and find its result.
        session.rollback()
        return _serve(hop, found, session, seen, reader)


CAP_KEY = "ussd_statement_ms"


@event.listens_for(Session, "after_begin")
def _bound_statements(session: Session, _transaction: Any, connection: Connection) -> None:
    """Cap every statement of a hop's transaction (and SQLite's lock waits) inside AT's 15 s."""
    ms = session.info.get(CAP_KEY)
    if ms is None:  # not a USSD hop's session
        return
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
    else:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {ms}")


def _serve(
    hop: Hop, found: Services, session: Session, seen: dict[str, Any], reader: Session | None
) -> str:
    phone_key = keyed_hash(hop.phone, found.settings.secret_key)
    store = store_of(found)
    loaded = store.load(hop.session_id, phone_key)
    record = loaded.record
    seen["lang"] = loaded.lang or seen["lang"]
    if record is not None:
        seen["lang"] = record.state.lang
        known = record.reply_to(hop.text)
        if known is not None or new_input(hop.text, record.text) is None:
            return known or record.reply  # a replay, or a stray text: show it, act on nothing
    ctx = HopContext(session, found.redis, found.settings, hop.phone, phone_key, hop.session_id,
                     utcnow(), started=time.monotonic(), reader=reader)  # fmt: skip
    menus = build(ctx)
    default = loaded.lang or found.settings.default_language
    state, screen = _step(record, loaded.saved, hop, menus, default, not loaded.lang)
    seen["lang"] = state.lang
    session.commit()
    for job in ctx.deferred:
        job(found)
    body = reply(screen.text, end=screen.end)
    resumable = not screen.end and state.screen not in (menus.root, "resume")
    lang = state.lang if state.lang != loaded.lang else ""
    saved = record.then(state, hop.text, body) if record else Record(state, hop.text, body)
    store.save(hop.session_id, phone_key, saved, resumable, lang)
    return body


def _step(
    record: Record | None, saved: State | None, hop: Hop, menus: Menus, default: str, ask: bool
) -> tuple[State, Screen]:
    if record is not None:
        return advance(record.state, new_input(hop.text, record.text) or "", menus)
    if saved is not None and not hop.text:
        return offer_resume(saved, menus)
    hop_ctx: HopContext = menus.ctx
    lang = (hop_ctx.read(lambda db: preferred(db, hop.phone)) if ask else None) or default
    return rebuild(menus, lang, hop.text.split("*") if hop.text else [])
