"""Fixtures: real Redis and a real database (embedded by default, or the ones CI points at).

Each test runs in one transaction that is rolled back at the end (see `tests/databases.py`);
the demo data is seeded once per run into a database of its own. A test whose data other
connections, threads or processes must see is marked `committed`: it commits for real and the
tables are wiped afterwards, as is its share of Redis for every test.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from argon2 import PasswordHasher, profiles
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app import create_app
from config import Settings
from ops.redis import start_embedded
from ops.runtime import Runtime
from services import staff_accounts
from tests import databases
from tests.databases import TEST_SECRET, RunDatabase

TEST_TOKEN = "test-callback-token"
# The fault toolkit's fixtures (proxies, throwaway servers) serve every folder.
pytest_plugins = ("tests.faults.fixtures",)
__all__ = ["TEST_SECRET", "TEST_TOKEN"]  # TEST_SECRET re-exported for tests


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Split a whole-suite run over two pytest-xdist workers; run tests named on the command line
    in this process, where two workers would only add their start-up time."""
    given = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if given:
        return int(given)
    whole = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    return 2 if whole and (os.cpu_count() or 1) > 1 else 0


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Hash staff passwords with argon2's cheapest parameters.

    The production ones spend about 0.14 s of CPU per hash and per check, by design; a console
    test creates and logs in several accounts. The algorithm and the checks stay the same.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staff_accounts, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


def worker_number() -> int:
    """Return this pytest-xdist worker's number (0 when the run is not split)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name.removeprefix("gw")) if name.startswith("gw") else 0


def redis_db_of_worker(url: str, worker: int) -> str:
    """Return `url` moved `worker` databases on: each worker flushes only its own."""
    if worker == 0:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{int(parts.path.strip('/') or 0) + worker}"))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """TEST_REDIS_URL when given (its db plus the worker's number), else an embedded Redis."""
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield redis_db_of_worker(given, worker_number())
        return
    socket = tmp_path_factory.mktemp("redis") / "redis.sock"
    process = start_embedded(socket)
    yield f"unix://{socket}"
    process.terminate()
    process.wait(timeout=10)


def _database(factory: pytest.TempPathFactory, *, seeded: bool) -> Iterator[RunDatabase]:
    """Prepare this worker's empty or seeded database: SQLite files, or PostgreSQL databases
    named after TEST_DATABASE_URL's (the given one, then name_1, name_2...)."""
    given = os.environ.get("TEST_DATABASE_URL")
    if not given:
        yield databases.prepare(f"sqlite:///{factory.mktemp('db') / 'test.db'}", seeded=seeded)
        return
    url = databases.postgres_url(given, 2 * worker_number() + int(seeded))
    databases.recreate_postgres(given, url)
    yield databases.prepare(url, seeded=seeded)
    databases.drop_postgres(given, url)


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunDatabase]:
    """The migrated database without data, empty again after every test."""
    yield from _database(tmp_path_factory, seeded=False)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunDatabase]:
    """The migrated database holding the demo data, seeded once per run."""
    yield from _database(tmp_path_factory, seeded=True)


@pytest.fixture(scope="session")
def database_url(empty_database: RunDatabase) -> str:
    """The URL of the empty test database, migrated to head."""
    return empty_database.url


def commits(request: pytest.FixtureRequest) -> bool:
    """True for a test marked `committed`."""
    return request.node.get_closest_marker("committed") is not None


@pytest.fixture()
def test_database(request: pytest.FixtureRequest) -> RunDatabase:
    """The seeded database for a test that wants the demo data and rolls back, else the empty."""
    if "seeded" in request.fixturenames and not commits(request):
        found: RunDatabase = request.getfixturevalue("seeded_database")
    else:
        found = request.getfixturevalue("empty_database")
    return found


@pytest.fixture()
def settings(test_database: RunDatabase, redis_url: str, tmp_path: Path) -> Settings:
    """Settings of a test run: its own database and Redis, fixed secrets."""
    return Settings(
        app_env="test",
        var_dir=tmp_path,
        database_url=test_database.url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        at_callback_token=TEST_TOKEN,
    )


def _join_one_transaction(found: Runtime) -> Connection:
    """Open the test's connection and outer transaction; make every app session join it."""
    databases.allow_savepoints(found.engine)
    conn = found.engine.connect()
    conn.begin()
    for factory in (found.session_factory, found.reader_factory):
        factory.configure(bind=conn, join_transaction_mode="create_savepoint")
    databases.refuse_other_connections(found.engine, found.reader_engine)
    return conn


@pytest.fixture()
def app(
    settings: Settings, test_database: RunDatabase, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """The application on the test database and Redis, left as it found them."""
    application = create_app(settings)
    application.config.update(TESTING=True)
    found: Runtime = application.extensions["huduma"]
    conn = None if commits(request) else _join_one_transaction(found)
    try:
        yield application
        if conn is None:
            databases.wipe(found.engine)
        else:
            databases.end_test(conn, test_database)
    finally:
        if conn is not None:
            conn.close()
        found.redis.flushdb()
        found.engine.dispose()
        found.reader_engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def db_session(app: Flask, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session on the test database (sharing the test's transaction unless it commits)."""
    factory = app.extensions["huduma"].session_factory
    if commits(request):
        session = factory()
    else:
        session = type("DbSession", (databases.ObserverSession, factory.class_), {})(**factory.kw)
    yield session
    session.close()


@pytest.fixture()
def seeded(app: Flask, request: pytest.FixtureRequest) -> Flask:
    """The demo data, small: two working days of slots and 60 applications.

    Seeded once per run; a `committed` test gets a copy of it (wiped afterwards).
    """
    if commits(request):
        source: RunDatabase = request.getfixturevalue("seeded_database")
        databases.copy_seed(source, app.extensions["huduma"].engine)
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
