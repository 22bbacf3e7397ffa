"""The services one process needs, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from jobs.queues import make_queues
from models.db import make_engine, make_session_factory
from ops.redis import connect

EXTENSION = "huduma"


@dataclass(slots=True)
class Services:
    """Settings plus the connections built from them."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    reader_engine: Engine
    reader_factory: sessionmaker[Session]
    redis: Redis
    redis_raw: Redis
    queues: dict[str, Queue]


def build_services(settings: Settings, *, for_worker: bool = False) -> Services:
    """Connect to the database and Redis (lazily: nothing is dialled here)."""
    engine = make_engine(settings.database_url, for_worker=for_worker)
    # Lookups that write nothing run outside any transaction, each statement capped.
    reader_engine = make_engine(
        settings.database_url,
        for_worker=for_worker,
        autocommit=True,
        statement_seconds=settings.ussd_statement_timeout,
    )
    raw = connect(settings, decode=False, timeout=5.0 if for_worker else 1.0)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        reader_engine=reader_engine,
        reader_factory=make_session_factory(reader_engine, autocommit=True),
        redis=connect(settings, decode=True),
        redis_raw=raw,
        queues=make_queues(raw),
    )


def services(app: Flask | None = None) -> Services:
    """Return the services of `app` or of the current app."""
    found: Services = (app or current_app).extensions[EXTENSION]
    return found


def db() -> Session:
    """Return this request's database session, opened on first use."""
    if "db" not in g:
        g.db = services().session_factory()
    session: Session = g.db
    return session


def reader() -> Session:
    """Return this request's autocommit session for lookups, opened on first use."""
    if "reader" not in g:
        g.reader = services().reader_factory()
    session: Session = g.reader
    return session


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's sessions, if any were opened."""
    for name in ("db", "reader"):
        session = g.pop(name, None)
        if session is not None:
            session.close()
