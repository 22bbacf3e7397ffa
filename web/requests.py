"""What a request works with: the process's runtime and one unit of work, closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from models.work import Work
from ops.runtime import Runtime

EXTENSION = "huduma"


def runtime(app: Flask | None = None) -> Runtime:
    """Return the runtime of `app` or of the current app."""
    found: Runtime = (app or current_app).extensions[EXTENSION]
    return found


def work() -> Work:
    """Return this request's unit of work, opened on first use."""
    if "work" not in g:
        g.work = runtime().work()
    found: Work = g.work
    return found


def db() -> Session:
    """Return the session of this request's unit of work."""
    return work().session


def commit() -> None:
    """Commit this request's unit of work; what waited for the commit runs after it."""
    work().commit()


def rollback() -> None:
    """Roll back this request's unit of work."""
    work().rollback()


def reader() -> Session:
    """Return this request's autocommit session for lookups, opened on first use."""
    if "reader" not in g:
        g.reader = runtime().reader_factory()
    session: Session = g.reader
    return session


def close(_exc: BaseException | None = None) -> None:
    """Close the request's unit of work and reader, if any were opened."""
    opened = g.pop("work", None)
    if opened is not None:
        opened.close()
    session = g.pop("reader", None)
    if session is not None:
        session.close()
