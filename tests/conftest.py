"""Fixtures: real Redis and a real database (embedded by default, or the ones CI points at)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from demo.seed import seed_all
from models import Base
from models.db import make_engine
from models.migrate import alembic_config
from ops.redis import start_embedded
from tests.dates import MONDAY, NAIROBI
from tests.faults.fixtures import fault_proxy, postgres_backend, postgres_proxy

TEST_SECRET = "test-secret-key"
TEST_TOKEN = "test-callback-token"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """TEST_REDIS_URL when given (a db of our own), else an embedded Redis for this run."""
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    socket = tmp_path_factory.mktemp("redis") / "redis.sock"
    process = start_embedded(socket)
    yield f"unix://{socket}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """TEST_DATABASE_URL when given, else a SQLite file; migrated to head once."""
    url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )
    engine = make_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture()
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    """Settings of a test run: its own database and Redis, fixed secrets."""
    return Settings(
        app_env="test",
        var_dir=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        at_callback_token=TEST_TOKEN,
    )


def _wipe(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def app(settings: Settings) -> Iterator[Flask]:
    """The application on the test database and Redis, left clean afterwards."""
    application = create_app(settings)
    application.config.update(TESTING=True)
    services = application.extensions["huduma"]
    yield application
    _wipe(services.engine)
    services.redis.flushdb()
    services.engine.dispose()
    services.reader_engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def db_session(app: Flask) -> Iterator[Session]:
    """A session on the test database."""
    session = app.extensions["huduma"].session_factory()
    yield session
    session.close()


@pytest.fixture()
def seeded(app: Flask) -> Flask:
    """The demo data, small: two working days of slots and 60 applications."""
    with app.extensions["huduma"].session_factory.begin() as session:
        seed_all(session, today=MONDAY, days=2, documents=60, hash_key=TEST_SECRET, tz=NAIROBI)
    return app


@pytest.fixture()
def stoppable_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of this test's own, which the test may stop."""
    socket = tmp_path / "own-redis.sock"
    process = start_embedded(socket)
    yield f"unix://{socket}", process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)
    redis.Redis(unix_socket_path=str(socket)).close()


__all__ = ["fault_proxy", "postgres_backend", "postgres_proxy"]
