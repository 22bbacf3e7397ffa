"""Session state in Redis: one round trip to load, one pipelined round trip to save."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import cast

from redis import Redis

from config import Settings
from ussd.engine import State

SESSION_KEY = "ussd:session:{}"
RESUME_KEY = "ussd:resume:{}"
LANG_KEY = "ussd:lang:{}"
LANG_TTL = 86400
HISTORY = 8  # earlier hops remembered per session, for late replays


@dataclass(slots=True)
class Record:
    """A session's state, its last hop and a few earlier ones (text and reply) for replays.

    `ended` is set once the session answered END: from then on every hop gets that reply.
    """

    state: State
    text: str
    reply: str
    earlier: list[list[str]] = field(default_factory=list)
    ended: bool = False

    def dumps(self) -> str:
        found = {"s": self.state.dumps(), "t": self.text, "r": self.reply, "h": self.earlier,
                 "e": self.ended}  # fmt: skip
        return json.dumps(found)

    @classmethod
    def loads(cls, raw: str) -> Record:
        found = json.loads(raw)
        state = State.loads(found["s"])
        return cls(state, found["t"], found["r"], found.get("h", []), found.get("e", False))

    def reply_to(self, text: str) -> str | None:
        """Return the reply a hop with this text got before, if it is remembered."""
        if text == self.text:
            return self.reply
        return next((reply for seen, reply in self.earlier if seen == text), None)

    def then(self, state: State, text: str, reply: str, ended: bool = False) -> Record:
        """Return the record after one more hop, keeping the dial and the latest hops."""
        earlier = [*self.earlier, [self.text, self.reply]]
        if len(earlier) > HISTORY:
            del earlier[1]  # index 0 is the dial: its replay must still show the first screen
        return Record(state, text, reply, earlier, ended)


@dataclass(frozen=True, slots=True)
class Loaded:
    """What one hop reads from Redis."""

    record: Record | None
    saved: State | None
    lang: str


@dataclass(frozen=True, slots=True)
class SessionStore:
    """Where sessions live, how long, and how long a dropped one can be resumed."""

    redis: Redis
    ttl: int
    resume_ttl: int

    def load(self, session_id: str, phone_key: str) -> Loaded:
        """Return the session, the phone's resume point and cached language, in one MGET."""
        keys = (SESSION_KEY.format(session_id), RESUME_KEY.format(phone_key))
        found = cast(list[str | None], self.redis.mget(*keys, LANG_KEY.format(phone_key)))
        raw, resume, lang = found
        record = Record.loads(str(raw)) if raw else None
        return Loaded(record, State.loads(str(resume)) if resume else None, str(lang or ""))

    def save(
        self, session_id: str, phone_key: str, record: Record, resumable: bool, lang: str = ""
    ) -> None:
        """Store the record, keep or drop the resume point, cache a language: one pipeline."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(SESSION_KEY.format(session_id), record.dumps(), ex=self.ttl)
        if lang:
            pipe.set(LANG_KEY.format(phone_key), lang, ex=LANG_TTL)
        if resumable:
            pipe.set(RESUME_KEY.format(phone_key), record.state.dumps(), ex=self.resume_ttl)
        else:
            pipe.delete(RESUME_KEY.format(phone_key))
        pipe.execute()

    def end(self, session_id: str, text: str, reply: str) -> None:
        """Mark a session ended with `reply`: every later hop of it gets that reply."""
        ended = Record(State(), text, reply, ended=True)
        self.redis.set(SESSION_KEY.format(session_id), ended.dumps(), ex=self.ttl)

    def last_state(self, session_id: str) -> State | None:
        """Return a session's state if it is still stored (for end-of-session events)."""
        raw = self.redis.get(SESSION_KEY.format(session_id))
        return Record.loads(str(raw)).state if raw else None


def store_for(settings: Settings, redis: Redis) -> SessionStore:
    """The session store the settings describe."""
    return SessionStore(redis, settings.ussd_session_ttl, settings.ussd_resume_seconds)
