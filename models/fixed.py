"""Fixed lookups on the hot path, run straight on the DB-API cursor when nothing else is needed.

A USSD status hop spends more CPU in the ORM session's execute machinery than in the query:
about 0.5 ms per lookup against 0.1 ms for the same SELECT on a pooled DB-API connection
(PostgreSQL, this project's benchmark machine). A `FixedQuery` is a Core SELECT whose only
variables are named bind parameters; it is compiled once per dialect. On a session of an
autocommit engine with no transaction open it borrows a pooled connection, runs the SQL (behind
the engine's statement cap, in the same message: `models.db.LOOKUP_PREFIX`) and returns it;
anywhere else (a write session, an open transaction) it runs through the session,
so it sees the transaction's own changes exactly as any other query would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Dialect, Engine, Select
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from models.db import AUTOCOMMIT_INFO, LOOKUP_PREFIX


@dataclass(frozen=True, slots=True)
class Compiled:
    """The SQL text of one dialect and how to order its parameters (None: by name)."""

    sql: str
    names: tuple[str, ...] | None
    defaults: dict[str, Any]


@dataclass(slots=True)
class FixedQuery:
    """A SELECT with named bind parameters, run as a plain DB-API call where that is safe."""

    statement: Select[*tuple[Any, ...]]
    _compiled: dict[str, Compiled] = field(default_factory=dict)

    def compiled(self, dialect: Dialect) -> Compiled:
        """Return the statement compiled for `dialect` (once per dialect)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            names = tuple(compiled.positiontup or ()) if dialect.positional else None
            found = Compiled(str(compiled), names, dict(compiled.params))
            self._compiled[dialect.name] = found
        return found

    def first(self, session: Session, **params: Any) -> tuple[Any, ...] | None:
        """Return the first row for `params`, or None."""
        engine = session.get_bind()
        outside = session.info.get(AUTOCOMMIT_INFO) and not session.in_transaction()
        if not outside or not isinstance(engine, Engine):  # through the session, in its transaction
            row = session.execute(self.statement, params).first()
            return None if row is None else tuple(row)
        compiled = self.compiled(engine.dialect)
        values = {**compiled.defaults, **params}
        args: Any = values if compiled.names is None else [values[n] for n in compiled.names]
        cap = engine.get_execution_options().get(LOOKUP_PREFIX, "")
        return _run(engine, cap, compiled.sql, args)


def _run(engine: Engine, cap: str, sql: str, args: Any) -> tuple[Any, ...] | None:
    """Run `sql` behind `cap` on a pooled DB-API connection; return its first row."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except dbapi_error as exc:  # a new connection failed: report it as SQLAlchemy would
        raise _wrapped(sql, exc, dbapi_error) from exc
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(cap + sql, args)
            if cap:
                cursor.nextset()  # past the SET's empty result
            row = cursor.fetchone()
        finally:
            cursor.close()
    except dbapi_error as exc:
        gone = engine.dialect.is_disconnect(exc, connection.dbapi_connection, None)
        connection.invalidate(exc)  # rare: a fresh connection costs less than doubt
        raise _wrapped(sql, exc, dbapi_error, gone) from exc
    finally:
        connection.close()  # back to the pool
    return None if row is None else tuple(row)


def _wrapped(sql: str, exc: Exception, base: type[Exception], gone: bool = False) -> StatementError:
    """The DBAPI error as the SQLAlchemy error callers catch, parameters hidden.

    `gone`: the connection was lost, so the caller may run the work again on a fresh one.
    """
    return DBAPIError.instance(
        sql, None, exc, base, hide_parameters=True, connection_invalidated=gone
    )
