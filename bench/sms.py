"""Benchmark: N 'ready' updates through the feed API over HTTP, every notice sent to a fake AT.

PostgreSQL + real Redis; a database and Redis db of its own, created and dropped here.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg
import redis
import requests
from alembic import command
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from config import PROJECT_ROOT
from models import Agency, Centre, County, Message
from models.migrate import alembic_config
from services.agency_keys import create_key

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"


@dataclass
class Bench:
    """The processes under test and what was measured."""

    args: argparse.Namespace
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    spies: list[subprocess.Popen[bytes]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
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
                    AT_CALLBACK_TOKEN="bench-token",
                    SMS_SEND_CONCURRENCY=str(self.args.concurrency))  # fmt: skip

    def spawn(self, name: str, *argv: str, nice: int = 0) -> None:
        # Each in its own process group: a worker's scheduler child is stopped with it.
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=PROJECT_ROOT, env=self.env(), start_new_session=True,
            preexec_fn=(lambda: os.nice(nice)) if nice else None,
        )  # fmt: skip
        self.processes.append(process)
        self.names.append(name)
        if self.args.profile:
            self.profile(name, process.pid)

    def profile(self, name: str, pid: int) -> None:
        """Sample `pid` (and its children) with py-spy into PROFILE/name-pid.txt."""
        out = Path(self.args.profile) / f"{name}-{pid}.txt"
        spy = Path(sys.executable).with_name("py-spy")
        argv = [str(spy), "record", "--format", "raw", "--subprocesses", "--pid", str(pid),
                "-o", str(out)]  # fmt: skip
        self.spies.append(
            subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )

    def stop(self) -> None:
        """Stop every process group started here, then wait for them."""
        for proc in self.spies:
            proc.send_signal(signal.SIGINT)
        for proc in self.processes:
            _signal_group(proc, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)
            _signal_group(proc, signal.SIGKILL)  # children that outlived their parent
        for proc in self.spies:
            proc.wait(timeout=60)

    def sample_memory(self, stop: threading.Event) -> None:
        """Track the peak RSS and the CPU seconds of each process (with its children)."""
        while not stop.wait(0.5):
            total = 0
            for name, proc in zip(self.names, self.processes, strict=True):
                try:
                    parent = psutil.Process(proc.pid)
                    family = [parent, *parent.children(True)]
                    total += sum(p.memory_info().rss for p in family)
                    times = [p.cpu_times() for p in family]
                    self.cpu[f"{name}-{proc.pid}"] = sum(t.user + t.system for t in times)
                except psutil.Error:
                    continue
            self.peak_rss = max(self.peak_rss, total)

    def cpu_by_role(self) -> str:
        """CPU seconds used by each kind of process."""
        roles: dict[str, float] = {}
        for key, seconds in self.cpu.items():
            role = key.rsplit("-", 1)[0]
            roles[role] = roles.get(role, 0.0) + seconds
        return ", ".join(f"{role} {seconds:.0f} s" for role, seconds in sorted(roles.items()))


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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


def wait_sent(bench: Bench, t0: float) -> float:
    """Wait until the fake AT accepted N distinct numbers (or the limit passes); return when."""
    while time.perf_counter() - t0 < bench.args.limit:
        if fake_stats(bench)["unique"] >= bench.args.n:
            break
        time.sleep(0.2)
    return time.perf_counter()


def start(bench: Bench) -> None:
    a = bench.args
    # AT's own work happens on AT's servers: here it must not take the system's CPU first.
    bench.spawn("fake-at", "-m", "sms.fake_at", "--port", str(a.fake_port), nice=a.worker_nice)
    bench.spawn("web", "-m", "gunicorn", "--bind", f"127.0.0.1:{a.web_port}", "--workers",
                str(a.web_workers), "--log-level", "warning", "app:create_app()")  # fmt: skip
    wait_http(f"http://127.0.0.1:{a.fake_port}/stats")
    wait_http(f"http://127.0.0.1:{a.web_port}/healthz")
    for _ in range(a.workers):
        bench.spawn("worker", "-m", "jobs.worker", nice=a.worker_nice)


def statuses(bench: Bench) -> dict[str, int]:
    engine = create_engine(bench.db_url)
    with Session(engine) as session:
        rows = session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    engine.dispose()
    return {str(status): int(n) for status, n in rows}


def report(bench: Bench, ingest: float, accepted: int, elapsed: float, load: str) -> int:
    """Print the figures; return how many messages were duplicated or missing."""
    stats, n = fake_stats(bench), int(bench.args.n)
    missing = n - stats["unique"]
    print(f"updates posted      : {n} ({accepted} accepted)")
    print(f"ingest              : {ingest:.1f} s = {n / ingest:,.0f} updates/s")
    print(f"sms accepted by AT  : {stats['unique']} numbers in {elapsed:.1f} s end to end "
          f"= {stats['unique'] / elapsed:,.0f} SMS/s ({stats['calls']} API calls)")  # fmt: skip
    a = bench.args
    print(f"workers             : {a.workers} RQ workers x {a.concurrency} calls in flight "
          f"(jobs of {a.batch} ids), {a.web_workers} web workers, {a.clients} clients")  # fmt: skip
    print(f"peak memory (RSS)   : {bench.peak_rss / 2**20:,.0f} MiB over all processes")
    print(f"cpu used            : {bench.cpu_by_role()} (PostgreSQL and Redis not counted)")
    print(f"duplicates / missing: {stats['duplicates']} / {missing} (counted per number at the "
          f"fake AT, {bench.args.settle:g} s after the last one arrived)")  # fmt: skip
    print(f"message statuses    : {statuses(bench)}")
    print(f"load average        : {load}")
    return int(stats["duplicates"]) + missing


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(bench: Bench) -> int:
    key = prepare(bench)
    stop = threading.Event()
    threading.Thread(target=bench.sample_memory, args=(stop,), daemon=True).start()
    before = load_average()
    try:
        start(bench)
        t0 = time.perf_counter()
        ingest, accepted = post_all(bench, key)
        during = fake_stats(bench)["unique"]
        t1 = wait_sent(bench, t0)
        after = (bench.args.n - during) / max(t1 - t0 - ingest, 1e-9)
        print(f"while ingesting     : {during} sent; afterwards {after:,.0f} SMS/s")
        # Late re-sends (a retry after a timeout, a sweep) show up only if we look again.
        time.sleep(bench.args.settle)
        return report(bench, ingest, accepted, t1 - t0, f"{before} before, {load_average()} after")
    finally:
        stop.set()
        bench.stop()
        drop_database(bench.args.database)
        redis.Redis.from_url(bench.redis_url).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--web-workers", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--limit", type=float, default=330.0)
    parser.add_argument("--database", default="huduma_bench_sms")
    parser.add_argument("--redis-db", type=int, default=9)
    parser.add_argument("--fake-port", type=int, default=8160)
    parser.add_argument("--web-port", type=int, default=8170)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait for late sends")
    parser.add_argument("--concurrency", type=int, default=64, help="SMS_SEND_CONCURRENCY")
    parser.add_argument("--profile", default="", help="a folder for py-spy samples of each process")
    parser.add_argument("--worker-nice", type=int, default=19,
                        help="niceness of the workers and fake AT: web first")  # fmt: skip
    wrong = run(Bench(parser.parse_args()))
    if wrong:
        print(f"FAILED: {wrong} messages duplicated or missing", file=sys.stderr)
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
