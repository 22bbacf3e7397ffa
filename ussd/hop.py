"""One hop end to end: load the session, advance the engine, commit, save, reply."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from menus.common import HopContext
from menus.registry import build
from models import utcnow
from ops.wiring import Services
from services.identity import keyed_hash
from services.languages import preferred
from ussd.engine import Menus, Screen, State, advance, offer_resume, start
from ussd.protocol import Hop, new_input, reply
from ussd.store import Record, SessionStore


def store_of(found: Services) -> SessionStore:
    """Return the session store the settings describe."""
    settings = found.settings
    return SessionStore(found.redis, settings.ussd_session_ttl, settings.ussd_resume_seconds)


def serve(hop: Hop, found: Services, session: Session, seen: dict[str, Any]) -> str:
    """Return the reply body of a hop; a replayed hop gets the reply it got before."""
    phone_key = keyed_hash(hop.phone, found.settings.secret_key)
    store = store_of(found)
    loaded = store.load(hop.session_id, phone_key)
    record = loaded.record
    seen["lang"] = loaded.lang or seen["lang"]
    if record is not None:
        seen["lang"] = record.state.lang
        if record.text == hop.text:
            return record.reply
    ctx = HopContext(session, found.redis, found.settings, hop.phone, phone_key, hop.session_id,
                     utcnow(), started=time.monotonic())  # fmt: skip
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
    store.save(hop.session_id, phone_key, Record(state, hop.text, body), resumable, lang)
    return body


def _step(
    record: Record | None, saved: State | None, hop: Hop, menus: Menus, default: str, ask: bool
) -> tuple[State, Screen]:
    if record is not None:
        return advance(record.state, new_input(hop.text, record.text) or "", menus)
    if saved is not None and not hop.text:
        return offer_resume(saved, menus)
    hop_ctx: HopContext = menus.ctx
    lang = (preferred(hop_ctx.db, hop.phone) if ask else None) or default
    state, screen = start(menus, lang)
    for piece in hop.text.split("*") if hop.text else ():
        state, screen = advance(state, piece, menus)
        if screen.end:
            break
    return state, screen
