"""Benchmark: N 'ready' updates through the feed API over HTTP, every notice sent to a fake AT.

PostgreSQL + real Redis; a database and Redis db of its own, created and dropped here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psutil
import psycopg
import redis
import requests
from alembic import command
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from config import PROJECT_ROOT
from models import Agency, Centre, County, Message
from ops.cli import alembic_config
from services.agency_keys import create_key

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"


@dataclass
class Bench:
    """The processes under test and what was measured."""

    args: argparse.Namespace
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    peak_rss: int = 0

    @property
    def db_url(self) -> str:
        return PG + str(self.args.database)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.args.redis_db}"

    def env(self) -> dict[str, str]:
        return dict(os.environ, APP_ENV="test", DATABASE_URL=self.db_url, REDIS_URL=self.redis_url,
                    AT_API_KEY="bench", AT_API_BASE_URL=f"http://127.0.0.1:{self.args.fake_port}/version1",
                    SMS_RATE_PER_SECOND="1000000", SMS_BATCH_SIZE=str(self.args.batch),
                    SECRET_KEY="bench", LOG_LEVEL="WARNING", NO_PROXY="127.0.0.1,localhost",
                    AT_CALLBACK_TOKEN="bench-token")  # fmt: skip

    def spawn(self, *argv: str) -> None:
        self.processes.append(
            subprocess.Popen([sys.executable, *argv], cwd=PROJECT_ROOT, env=self.env())
        )

    def sample_memory(self, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            total = 0
            for proc in self.processes:
                try:
                    parent = psutil.Process(proc.pid)
                    total += sum(p.memory_info().rss for p in [parent, *parent.children(True)])
                except psutil.Error:
                    continue
            self.peak_rss = max(self.peak_rss, total)


def recreate_database(name: str) -> None:
    """Drop and create the bench database."""
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(bench: Bench) -> str:
    """Migrate, add one centre and the NRB agency, return a fresh agency key."""
    recreate_database(bench.args.database)
    redis.Redis.from_url(bench.redis_url).flushdb()
    command.upgrade(alembic_config(bench.db_url), "head")
    engine = create_engine(bench.db_url)
    with Session(engine) as session, session.begin():
        county = County(code=32, name="Nakuru")
        session.add_all([county, Agency(code="NRB", name="National Registration Bureau")])
        session.flush()
        session.add(Centre(code="NAKURU", name="Huduma Centre Nakuru", county_id=county.id,
                           town="Nakuru"))  # fmt: skip
        key: str = create_key(session, "NRB", "bench")
    engine.dispose()
    return key


def batches(n: int, size: int = 1000) -> Iterator[list[dict[str, str]]]:
    """N synthetic READY_FOR_COLLECTION updates, in batches the API accepts."""
    for start in range(0, n, size):
        yield [{"reference": f"HK-ID-{i:07d}", "kind": "ID_CARD", "status": "READY_FOR_COLLECTION",
                "phone": f"+2547{i % 100_000_000:08d}", "centre": "NAKURU"}
               for i in range(start, min(n, start + size))]  # fmt: skip


def post_all(bench: Bench, key: str) -> tuple[float, int]:
    """Post every batch over HTTP with a few client threads; return seconds and accepted."""
    url = f"http://127.0.0.1:{bench.args.web_port}/api/v1/documents/status"
    local = threading.local()

    def post(batch: list[dict[str, str]]) -> int:
        if not hasattr(local, "s"):
            local.s = requests.Session()
            local.s.headers["Authorization"] = f"Bearer {key}"
        body = json.dumps({"updates": batch})
        response = local.s.post(url, data=body, headers={"Content-Type": "application/json"})
        response.raise_for_status()
        return int(response.json()["accepted"])

    started = time.perf_counter()
    with ThreadPoolExecutor(bench.args.clients) as pool:
        accepted = sum(pool.map(post, batches(bench.args.n)))
    return time.perf_counter() - started, accepted


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def fake_stats(bench: Bench) -> dict[str, int]:
    url = f"http://127.0.0.1:{bench.args.fake_port}/stats"
    return dict(requests.get(url, timeout=5).json())


def wait_sent(bench: Bench, limit: float) -> float:
    """Wait until the fake AT accepted N distinct notices (or the limit passes)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if fake_stats(bench)["unique"] >= bench.args.n:
            break
        time.sleep(0.5)
    return time.perf_counter()


def start(bench: Bench) -> None:
    a = bench.args
    bench.spawn("-m", "sms.fake_at", "--port", str(a.fake_port))
    bench.spawn("-m", "gunicorn", "--bind", f"127.0.0.1:{a.web_port}", "--workers",
                str(a.web_workers), "--log-level", "warning", "app:create_app()")  # fmt: skip
    wait_http(f"http://127.0.0.1:{a.fake_port}/stats")
    wait_http(f"http://127.0.0.1:{a.web_port}/healthz")
    for _ in range(a.workers):
        bench.spawn("-m", "jobs.worker")


def report(bench: Bench, ingest: float, accepted: int, t0: float, t1: float) -> None:
    stats = fake_stats(bench)
    engine = create_engine(bench.db_url)
    with Session(engine) as session:
        rows = session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    engine.dispose()
    elapsed = t1 - t0
    print(f"updates posted      : {bench.args.n} ({accepted} accepted)")
    print(f"ingest              : {ingest:.1f} s = {bench.args.n / ingest:,.0f} updates/s")
    print(f"sms accepted by AT  : {stats['unique']} in {elapsed:.1f} s end to end "
          f"= {stats['unique'] / elapsed:,.0f} SMS/s")  # fmt: skip
    print(f"workers             : {bench.args.workers} RQ workers, {bench.args.web_workers} web")
    print(f"peak memory (RSS)   : {bench.peak_rss / 2**20:,.0f} MiB over all processes")
    print(f"duplicates / missing: {stats['duplicates']} / {bench.args.n - stats['unique']}")
    print(f"message statuses    : {dict((s, c) for s, c in rows)}")


def run(bench: Bench) -> None:
    key = prepare(bench)
    stop = threading.Event()
    threading.Thread(target=bench.sample_memory, args=(stop,), daemon=True).start()
    try:
        start(bench)
        t0 = time.perf_counter()
        ingest, accepted = post_all(bench, key)
        t1 = wait_sent(bench, bench.args.limit)
        report(bench, ingest, accepted, t0, t1)
    finally:
        stop.set()
        for proc in bench.processes:
            proc.terminate()
        for proc in bench.processes:
            proc.wait(timeout=30)
        drop_database(bench.args.database)
        redis.Redis.from_url(bench.redis_url).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--limit", type=float, default=330.0)
    parser.add_argument("--database", default="huduma_bench_sms")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--fake-port", type=int, default=8160)
    parser.add_argument("--web-port", type=int, default=8170)
    run(Bench(parser.parse_args()))


if __name__ == "__main__":
    main()
