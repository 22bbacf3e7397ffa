"""The service as production runs it on one machine, with a fault switch at every dependency.

PostgreSQL through a fault proxy, a Redis of its own that keeps its data over a clean stop, a fake
AT, the callbacks and console web units started with the launcher's own command lines, and the
workers, each process leading its own group. Every start registers its stop with an ExitStack.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from subprocess import Popen

import psycopg
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from config import Settings, load_settings
from demo.seed import seed_all
from models import Document
from models.migrate import upgrade
from ops.launcher import Launcher
from sms.fake_at import FakeAT, serve
from sms.fake_http import FakeServer
from tests.faults.processes import HOST, free_port, kill
from tests.faults.proxy import FaultProxy
from tests.faults.redis_server import RedisServer
from tests.faults.service import TOKEN, Service
from tests.faults.slowbody import SlowBodyClients, SlowRequest

PG_PORT = 5432
PG_ADMIN = f"host={HOST} port={PG_PORT} user=postgres dbname=postgres"
SEED_DAYS = 14
SEED_DOCUMENTS = 5000
SAMPLE_DOCUMENTS = 500
SLOW = SlowRequest(path="/staff/login")
STOP_SECONDS = 10.0


def database_url(name: str, port: int = PG_PORT) -> str:
    """The bench database, straight or through something listening on `port`."""
    return f"postgresql+psycopg://postgres@{HOST}:{port}/{name}"


def recreate_database(name: str) -> None:
    """Drop and create the bench database."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    """Drop the bench database, closing whatever still uses it."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_fake_at(stack: ExitStack, callback_url: str) -> FakeServer[FakeAT]:
    """The fake AT in a thread of this process, where its inbox can be read."""
    server = serve(0, callback_url=callback_url)
    thread = threading.Thread(target=server.serve_forever, name="fake-at", daemon=True)
    thread.start()

    def shut() -> None:
        server.shutdown()
        server.server_close()
        thread.join(STOP_SECONDS)

    stack.callback(shut)
    return server


@dataclass
class Stage:
    """Everything the benchmark started, and the switches its faults use."""

    database: str
    redis: RedisServer
    proxy: FaultProxy
    fake_at: FakeServer[FakeAT]
    service: Service
    workers: int
    running: list[Popen[bytes]] = field(default_factory=list)
    slow: list[SlowBodyClients] = field(default_factory=list)

    @property
    def direct_url(self) -> str:
        """The database without the proxy: for seeding and counting, never for the service."""
        return database_url(self.database)

    @property
    def ussd_url(self) -> str:
        return f"http://{HOST}:{self.service.callbacks_port}/ussd?token={TOKEN}"

    def settings(self) -> Settings:
        """The settings the service's processes load."""
        return load_settings(self.service.environment())

    def start_workers(self) -> None:
        """Start the workers (each with its scheduler)."""
        self.running = [self.service.start_worker() for _ in range(self.workers)]

    def kill_workers(self) -> None:
        """SIGKILL every worker's process group, as a lost machine would."""
        for worker in self.running:
            kill(worker)
        self.running = []

    def open_slow(self) -> None:
        """Keep 50 slow-body clients on the console: replace those it has closed."""
        alive = sum(group.alive() for group in self.slow)
        if alive < 50:
            self.slow.append(SlowBodyClients(self.service.console_port, 50 - alive, request=SLOW))
            self.slow[-1].open()

    def close_slow(self) -> None:
        for group in self.slow:
            group.close()
        self.slow = []


def build(stack: ExitStack, folder: Path, database: str, workers: int) -> Stage:
    """Start every dependency and the service's units on a fresh, seeded database."""
    recreate_database(database)
    stack.callback(drop_database, database)
    redis = RedisServer(folder / "redis", port=free_port(), persist=True).start()
    stack.callback(redis.stop)
    proxy = FaultProxy(PG_PORT).start()
    stack.callback(proxy.stop)
    service = Service(database_url(database, proxy.port), redis.url, folder)
    reports = f"http://{HOST}:{service.callbacks_port}/sms/delivery-reports?token={TOKEN}"
    fake = start_fake_at(stack, reports)
    service.env.update(production(folder, service, fake))
    stage = Stage(database, redis, proxy, fake, service, workers)
    stack.callback(stage.close_slow)
    stack.callback(service.stop_all)
    seed(stage)
    start_units(stage)
    return stage


def production(folder: Path, service: Service, fake: FakeServer[FakeAT]) -> dict[str, str]:
    """What differs from the fault tests' defaults: production, ports, the fake AT."""
    (folder / "metrics").mkdir(parents=True, exist_ok=True)
    return {
        "APP_ENV": "production", "HOST": HOST, "PORT": str(service.callbacks_port),
        "CONSOLE_PORT": str(service.console_port),
        "AT_API_BASE_URL": f"http://{HOST}:{fake.server_port}/version1",
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }  # fmt: skip


def seed(stage: Stage) -> None:
    """Migrate and load the demo data, straight into the database."""
    settings = stage.settings()
    upgrade(stage.direct_url)
    engine = create_engine(stage.direct_url)
    try:
        with Session(engine) as session, session.begin():
            seed_all(session, today=date.today(), days=SEED_DAYS, documents=SEED_DOCUMENTS,
                     hash_key=settings.secret_key, tz=settings.tz)  # fmt: skip
    finally:
        engine.dispose()


def start_units(stage: Stage) -> None:
    """The callbacks and console servers as the launcher starts them, then the workers."""
    launcher, service = Launcher(stage.settings()), stage.service
    service.start_web(launcher.web_command(), service.callbacks_port, WEB_SURFACE="callbacks")
    service.start_web(launcher.console_command(), service.console_port)
    stage.start_workers()


def documents(stage: Stage) -> list[str]:
    """A sample of seeded references (the status journey asks no kind)."""
    engine = create_engine(stage.direct_url)
    try:
        with Session(engine) as session:
            query = select(Document.reference).order_by(func.random())
            found = session.scalars(query.limit(SAMPLE_DOCUMENTS)).all()
    finally:
        engine.dispose()
    return [str(reference) for reference in found]
