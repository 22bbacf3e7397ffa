"""Measure the figures of the capacity plan (deploy/CAPACITY.md) on this machine.

`python -m bench.capacity` recreates PostgreSQL database `--database` (huduma_lay) on 127.0.0.1,
seeds it, starts the callbacks unit as production runs it (`python -m ops.serve callbacks`, JSON
logs, access log on) on Redis db `--redis-db` (15), drives the status and booking journeys with
wrk (bench/ussd_journeys.lua) and prints: CPU milliseconds per hop of the web unit (hence hops/s
per core), hops/s and p99, the peak of PostgreSQL connections, Redis bytes per session (MEMORY
USAGE on the real session keys) and database bytes per session event, message and booking (table
plus index size over rows). It drops the database and empties the Redis db at the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import psutil
import redis
import requests
from sqlalchemy import create_engine, text

from config import PROJECT_ROOT

TOKEN = "capacity-token"
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SIZED = ("ussd_session_events", "messages", "bookings")


@dataclass(frozen=True, slots=True)
class Run:
    """One wrk run against the unit, with the unit's CPU time over it."""

    journey: str
    hops: int
    hops_per_s: float
    p99_ms: float
    errors: int
    cpu_s: float
    peak_connections: int

    @property
    def cpu_ms_per_hop(self) -> float:
        """CPU of the web unit's processes per hop answered."""
        return 1000 * self.cpu_s / max(1, self.hops)


def environment(database: str, redis_db: int, port: int, metrics: Path) -> dict[str, str]:
    """Production settings on this machine's PostgreSQL and Redis."""
    return dict(os.environ, APP_ENV="production", SECRET_KEY="capacity-secret",
                AT_API_KEY="capacity-key", AT_CALLBACK_TOKEN=TOKEN, FLASK_APP="app",
                DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
                REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}", PORT=str(port),
                PROMETHEUS_MULTIPROC_DIR=str(metrics), LOG_JSON="1", LOG_LEVEL="INFO",
                NO_PROXY="127.0.0.1,localhost")  # fmt: skip


def admin(sql: str) -> None:
    """Run one statement on the server's maintenance database."""
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def prepare(env: dict[str, str], database: str) -> None:
    """A fresh database, migrated and seeded, with seats for every booking of the bench."""
    admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    admin(f"CREATE DATABASE {database}")
    flask = str(PROJECT_ROOT / ".venv" / "bin" / "flask")
    for argv in (["db", "upgrade"], ["seed", "demo", "--days", "5", "--documents", "5000"]):
        subprocess.run([flask, *argv], env=env, cwd=PROJECT_ROOT, check=True,
                       capture_output=True, timeout=600)  # fmt: skip
    with create_engine(env["DATABASE_URL"]).begin() as conn:
        conn.execute(text("UPDATE slots SET capacity = 1000000"))


def references(url: str) -> str:
    """200 ID card references, comma-separated, for the status journey."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reference FROM documents WHERE kind = 'ID_CARD' "
                                 "ORDER BY id LIMIT 200")).scalars().all()  # fmt: skip
    engine.dispose()
    return ",".join(rows)


@contextmanager
def unit(env: dict[str, str], port: int, log: Path) -> Iterator[psutil.Process]:
    """The callbacks unit, as its service unit starts it; stopped with its whole group."""
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "ops.serve", "callbacks"], env=env,
                                   cwd=PROJECT_ROOT, stdout=sink, stderr=sink,
                                   start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        yield psutil.Process(process.pid)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def cpu_seconds(root: psutil.Process) -> float:
    """User and system CPU of a process and its children so far."""
    total = 0.0
    for each in [root, *root.children(recursive=True)]:
        try:
            times = each.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


class Connections(threading.Thread):
    """Sample the database's connection count every 0.2 s; keep the peak."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database, self.peak, self.done = database, 0, threading.Event()
        self.engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")

    def run(self) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db")
        with self.engine.connect() as conn:
            while not self.done.wait(0.2):
                count = conn.execute(query, {"db": self.database}).scalar()
                self.peak = max(self.peak, int(count or 0))

    def stop(self) -> int:
        self.done.set()
        self.join(timeout=5)
        self.engine.dispose()
        return self.peak


def drive(journey: str, port: int, seconds: int, refs: str, slot: int) -> dict[str, str]:
    """One wrk run of `journey`; the figures of its RESULT line."""
    env = dict(os.environ, JOURNEY=journey, TOKEN=TOKEN, BENCH_REFS=refs, RUN_SLOT=str(slot),
               RUN_ID=f"{time.time_ns()}-{journey}")  # fmt: skip
    out = subprocess.run(["wrk", "-t32", "-c32", f"-d{seconds}s", "--latency", "-s",
                          str(PROJECT_ROOT / "bench" / "ussd_journeys.lua"),
                          f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True,
                         timeout=seconds + 60, check=False).stdout  # fmt: skip
    line = next((x for x in out.splitlines() if x.startswith("RESULT")), "RESULT errors=1")
    return dict(pair.split("=", 1) for pair in line.split()[1:])


def measure(journey: str, server: psutil.Process, database: str, args: argparse.Namespace,
            refs: str, slot: int) -> Run:  # fmt: skip
    """Drive `journey` and take the unit's CPU time and the database's connections over it."""
    watch = Connections(database)
    watch.start()
    before = cpu_seconds(server)
    found = drive(journey, args.port, args.seconds, refs, slot)
    used = cpu_seconds(server) - before
    return Run(journey, int(found.get("hops", 0)), float(found.get("hops_per_s", 0)),
               float(found.get("p99_ms", 0)), int(found.get("errors", 1)), used,
               watch.stop())  # fmt: skip


def redis_bytes(client: redis.Redis) -> dict[str, float]:
    """Mean MEMORY USAGE of each kind of session key, over up to 2,000 of each."""
    found = {}
    for kind in ("session", "resume", "lang"):
        keys = list(itertools.islice(client.scan_iter(f"ussd:{kind}:*", 500), 2000))
        sizes = [int(cast(int, client.memory_usage(key)) or 0) for key in keys]
        found[kind] = statistics.fmean(sizes) if sizes else 0.0
    return found


def post_events(port: int, count: int) -> None:
    """AT's end-of-session notifications, as many as `count`, each for a session of its own."""
    url = f"http://127.0.0.1:{port}/ussd/events?token={TOKEN}"
    with requests.Session() as http:
        for n in range(count):
            http.post(url, timeout=10, data={
                "date": "2026-12-02 10:00:00", "sessionId": f"ATUid_capacity_{n:08d}",
                "serviceCode": "*384*1919#", "networkCode": "63902",
                "phoneNumber": f"+2547000{n % 100000:05d}", "status": "Success",
                "cost": "KES 0.0000", "durationInMillis": "41000", "hopsCount": "5",
                "input": "1*1*HK-ID-100003", "lastAppResponse": "END Application HK-ID-100003",
            })  # fmt: skip


def bytes_per_row(url: str) -> dict[str, tuple[int, float]]:
    """Rows and (table + indexes + TOAST) bytes per row of the tables that grow with traffic."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM runs outside one
    found = {}
    with engine.connect() as conn:
        for table in SIZED:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
            rows = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
            size = conn.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar()
            size = int(size or 0)
            found[table] = (rows, size / rows if rows else 0.0)
    engine.dispose()
    return found


def report(runs: list[Run], memory: dict[str, float], rows: dict[str, tuple[int, float]]) -> None:
    """Print the figures."""
    for run in runs:
        print(f"{run.journey:8} {run.hops:7} hops  {run.hops_per_s:7.0f} hops/s  "
              f"p99 {run.p99_ms:6.1f} ms  errors {run.errors}  web CPU {run.cpu_ms_per_hop:.2f} "
              f"ms/hop = {1000 / max(run.cpu_ms_per_hop, 1e-9):.0f} hops/s per core  "
              f"peak PostgreSQL connections {run.peak_connections}")  # fmt: skip
    print("Redis bytes per key: " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()))
    for table, (count, size) in rows.items():
        print(f"PostgreSQL {table}: {count} rows, {size:.0f} bytes per row with its indexes")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    """Prepare, measure, report, clean up."""
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("--database", default="huduma_lay")
    parser.add_argument("--redis-db", type=int, default=15)
    parser.add_argument("--port", type=int, default=8270)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huduma-capacity-"))
    env = environment(args.database, args.redis_db, args.port, folder)
    client = redis.Redis.from_url(env["REDIS_URL"])
    try:
        prepare(env, args.database)
        refs = references(env["DATABASE_URL"])
        with unit(env, args.port, folder / "unit.log") as server:
            drive("status", args.port, 3, refs, 1)  # warm-up
            runs = [measure(journey, server, args.database, args, refs, slot)
                    for slot, journey in enumerate(("status", "booking"), start=2)]  # fmt: skip
            memory = redis_bytes(client)  # before the sessions' 10 minutes are up
            post_events(args.port, args.events)
        report(runs, memory, bytes_per_row(env["DATABASE_URL"]))
    finally:
        client.flushdb()
        client.close()
        admin(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")


if __name__ == "__main__":
    main()
