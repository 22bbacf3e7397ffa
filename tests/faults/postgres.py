"""The PostgreSQL the fault tests pass traffic to, named by TEST_DATABASE_URL."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

CONNECT_SECONDS = 2  # psycopg waits at least 2 s whatever connect_timeout says


@dataclass(frozen=True, slots=True)
class PgTarget:
    """Where a PostgreSQL database listens and whom to log in as."""

    host: str
    port: int
    dbname: str
    user: str
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> PgTarget | None:
        """Read a SQLAlchemy URL; None unless it names PostgreSQL over TCP."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql" or not parsed.database:
            return None
        return cls(
            host=parsed.host or "127.0.0.1", port=parsed.port or 5432, dbname=parsed.database,
            user=parsed.username or "postgres", password=parsed.password,
        )  # fmt: skip

    @classmethod
    def from_environment(cls) -> PgTarget | None:
        """Return the database TEST_DATABASE_URL names, if it is PostgreSQL."""
        url = os.environ.get("TEST_DATABASE_URL", "")
        return cls.from_url(url) if url else None

    def via(self, port: int, host: str = "127.0.0.1") -> PgTarget:
        """The same database reached through something listening on `host`:`port`."""
        return replace(self, host=host, port=port)

    def connect(self, **options: Any) -> psycopg.Connection[Any]:
        """Open a psycopg connection with a short connect timeout; `options` go to libpq."""
        settings: dict[str, Any] = {"connect_timeout": CONNECT_SECONDS, **options}
        if self.password is not None:
            settings.setdefault("password", self.password)
        return psycopg.connect(
            host=self.host, port=self.port, dbname=self.dbname, user=self.user, **settings
        )
