"""A unit of work: one database transaction, and what must happen only once it has committed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from typing import Protocol

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
Hook = Callable[[], None]


class Lane(StrEnum):
    """The two send queues: what a citizen waits for goes ahead of bulk."""

    TRANSACTIONAL = "transactional"
    BULK = "bulk"


class Dispatch(Protocol):
    """Hands committed work to the job queues (RQ in the service)."""

    def messages(self, ids: Sequence[int], lane: Lane) -> None:
        """Send the outbox messages `ids` in `lane`."""

    def promises(self, ids: Sequence[int]) -> None:
        """Keep the promises `ids`."""


class LeaveToSweepers:
    """Dispatch of processes that enqueue no jobs themselves: the sweepers find the rows."""

    def messages(self, ids: Sequence[int], lane: Lane) -> None:
        """Leave the messages to the outbox sweeper."""

    def promises(self, ids: Sequence[int]) -> None:
        """Leave the promises to their sweeper."""


LEAVE_TO_SWEEPERS = LeaveToSweepers()


class Work:
    """One transaction; hooks, outbox messages and promises wait for its commit.

    Everything a request or job promises the outside world (an SMS, a job) is first a row in
    this transaction and only then a hook: a rollback drops the hooks with the rows. The session
    opens on first use: a hop that reads nothing from the database pays nothing for it.
    """

    __slots__ = ("_open", "_session", "dispatch", "hooks", "messages", "promises")

    def __init__(
        self, session: Session | Callable[[], Session], dispatch: Dispatch = LEAVE_TO_SWEEPERS
    ) -> None:
        self._session = session if isinstance(session, Session) else None
        self._open = None if isinstance(session, Session) else session
        self.dispatch = dispatch
        self.hooks: list[Hook] = []
        self.messages: dict[Lane, list[int]] = {}
        self.promises: list[int] = []

    @property
    def session(self) -> Session:
        """The transaction's session (opened now if it was not yet)."""
        if self._session is None:
            assert self._open is not None
            self._session = self._open()
        return self._session

    @property
    def opened(self) -> bool:
        """True once the session exists."""
        return self._session is not None

    def after_commit(self, hook: Hook) -> None:
        """Run `hook` once this transaction has committed (never if it rolls back)."""
        self.hooks.append(hook)

    def send_after_commit(self, ids: Sequence[int], lane: Lane) -> None:
        """Hand the outbox messages `ids` to their lane's queue once they are committed."""
        self.messages.setdefault(lane, []).extend(ids)

    def keep_after_commit(self, ids: Sequence[int]) -> None:
        """Hand the promises `ids` to the job that keeps them once they are committed."""
        self.promises.extend(ids)

    def commit(self) -> None:
        """Commit, then run what waited for it; a failing hook is logged, never raised."""
        if self._session is not None:
            self._session.commit()
        hooks, messages, promises = self.hooks, self.messages, self.promises
        self.forget()
        for lane, ids in messages.items():
            _guarded(partial(self.dispatch.messages, ids, lane))
        if promises:
            _guarded(partial(self.dispatch.promises, promises))
        for hook in hooks:
            _guarded(hook)

    def rollback(self) -> None:
        """Roll back and forget what waited for the commit."""
        if self._session is not None:
            self._session.rollback()
        self.forget()

    def close(self) -> None:
        """Roll back anything uncommitted and release the connection."""
        self.forget()
        if self._session is not None:
            self._session.close()

    def forget(self) -> None:
        """Drop what waited for a commit (it was run, or rolled back)."""
        self.hooks, self.messages, self.promises = [], {}, []


def _guarded(hook: Hook) -> None:
    # The transaction is committed: its rows are the promise, and the sweepers keep it if a
    # hook fails (Redis down, say). Raising here would turn a kept promise into an error page.
    try:
        hook()
    except Exception:
        log.exception("after-commit work failed; the sweeper will finish it")


@contextmanager
def transaction(session: Session, dispatch: Dispatch = LEAVE_TO_SWEEPERS) -> Iterator[Work]:
    """Yield a unit of work on `session`: committed on success, rolled back on error, closed."""
    work = Work(session, dispatch)
    try:
        yield work
        work.commit()
    except BaseException:
        work.rollback()
        raise
    finally:
        work.close()
