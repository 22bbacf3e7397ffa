"""What one process needs to do its work, built once from settings (no Flask here)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models.db import PoolSize, Waits, make_engine, make_session_factory
from models.replica import Fallback
from models.work import LEAVE_TO_SWEEPERS, Dispatch, Work, transaction
from ops.breaker import Breakers
from ops.dbwatch import guard
from ops.queues import Queues, make_queues
from ops.redis import connect


class Role(StrEnum):
    """The kinds of process: their pools and timeouts differ."""

    WEB = "web"
    WORKER = "worker"


# Builds the hand-over of committed work to the job queues (the job layer knows the jobs).
DispatchFactory = Callable[[Queues, Settings], Dispatch]


@dataclass(slots=True)
class Runtime:
    """Settings plus the connections built from them, and units of work on them."""

    settings: Settings
    role: Role
    engine: Engine
    session_factory: sessionmaker[Session]
    reader_engine: Engine
    reader_factory: sessionmaker[Session]
    redis: Redis
    redis_raw: Redis
    queues: Queues
    dispatch: Dispatch
    breakers: Breakers

    def work(self) -> Work:
        """Open a unit of work; the caller commits it (a request's, usually)."""
        return Work(self.session_factory, self.dispatch)

    def transaction(self) -> AbstractContextManager[Work]:
        """A unit of work committed when the block ends (a job's, usually)."""
        return transaction(self.session_factory(), self.dispatch)

    def dispose(self) -> None:
        """Close every pooled connection (tests, shutdown)."""
        self.engine.dispose()
        self.reader_engine.dispose()
        self.redis.close()
        self.redis_raw.close()


def build_runtime(
    settings: Settings, role: Role = Role.WEB, dispatch: DispatchFactory | None = None
) -> Runtime:
    """Connect to the database and Redis (lazily: nothing is dialled here)."""
    worker = role is Role.WORKER
    engine, reader_engine = _engines(settings, worker)
    redis_timeout = settings.worker_redis_timeout if worker else settings.redis_timeout
    # RQ's blocking dequeue waits longer than a web hop may: its client gets the longer timeout.
    raw = connect(settings, decode=False, timeout=max(redis_timeout, 5.0 if worker else 1.0))
    queues = make_queues(raw)
    return Runtime(
        settings=settings,
        role=role,
        engine=engine,
        session_factory=make_session_factory(engine),
        reader_engine=reader_engine,
        reader_factory=make_session_factory(reader_engine, autocommit=True),
        redis=connect(settings, decode=True, timeout=redis_timeout),
        redis_raw=raw,
        queues=queues,
        dispatch=dispatch(queues, settings) if dispatch else LEAVE_TO_SWEEPERS,
        breakers=Breakers(settings.breaker_open_seconds),
    )


def _engines(settings: Settings, worker: bool) -> tuple[Engine, Engine]:
    """The write engine and the lookup engine, each statement capped, each wait bounded."""
    cap = settings.worker_statement_timeout if worker else settings.ussd_statement_timeout
    waits = Waits(settings.db_connect_timeout, settings.db_tcp_user_timeout)
    pool = PoolSize(settings.db_pool_size, settings.db_max_overflow)
    url, replica = settings.database_url, settings.database_replica_url
    engine = make_engine(url, pre_ping=worker, statement_seconds=cap, waits=waits, pool=pool)
    # Lookups that write nothing run outside any transaction, on the replica when there is one
    # (on the primary while it is down).
    fallback = Fallback(url, settings.breaker_open_seconds) if replica else None
    reader_engine = make_engine(replica or url, autocommit=True, waits=waits, pool=pool,
                                statement_seconds=settings.ussd_statement_timeout,
                                fallback=fallback)  # fmt: skip
    for each in (engine, reader_engine):
        guard(each)
    return engine, reader_engine
