"""A Redis failover mid-traffic, then a web node and a worker killed: all real processes.

Redis master, replica and three sentinels; PgBouncer (transaction pooling) in front of the test
PostgreSQL; two web units of AT's callbacks and two workers of the service; a fake AT. USSD
sessions alternate between the web nodes while SMS are being sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from subprocess import Popen
from typing import cast

import pytest
import redis
from sqlalchemy.engine import make_url

from config import Settings
from jobs.sends import dispatcher
from ops.runtime import Role, Runtime, build_runtime
from sms.outbox import queue_messages
from tests.faults.processes import kill, wait_until
from tests.faults.sentinel import SentinelCluster
from tests.faults.service import Service
from tests.resilience.traffic import Traffic, completed, outage

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BUDGET = 2.0  # seconds a hop may take, whatever happens
BACK = 5.0  # seconds from the master's death until hops are served again
AFTER = 2.0  # seconds of traffic kept up once it is served again, and after the last fault
BATCH = 300  # SMS per send
WORKERS = {"SMS_BATCH_SIZE": "10", "SMS_RATE_PER_SECOND": "100", "SMS_SEND_TIMEOUT": "2",
           "SMS_RATE_WAIT_SECONDS": "2", "SMS_LEASE_SECONDS": "8", "SMS_SWEEP_SECONDS": "1",
           "SMS_SEND_CONCURRENCY": "4"}  # fmt: skip
# A killed worker may have sent calls whose outcome it never recorded (README: SMS delivery).
RESENT_AT_MOST = 4 * 10  # SMS_SEND_CONCURRENCY x SMS_BATCH_SIZE
SCHEDULER_BACK = 30.0  # a dead worker's scheduler is replaced within this (test_workers)


@pytest.fixture()
def through(settings: Settings, pgbouncer, sentinel_cluster) -> Settings:
    """The test settings on PgBouncer and the sentinels."""
    url = make_url(settings.database_url).set(port=pgbouncer.port)
    return settings.with_overrides(
        database_url=url.render_as_string(hide_password=False), redis_url="",
        redis_sentinels=sentinel_cluster.addresses, redis_sentinel_master=sentinel_cluster.service,
    )  # fmt: skip


@pytest.fixture()
def sender(through) -> Iterator[Runtime]:
    """Where the test queues SMS from, as the status feed would."""
    found = build_runtime(through, Role.WORKER, dispatch=dispatcher)
    yield found
    found.dispose()


def _send(found: Runtime, first: int) -> None:
    rows = [{"recipient": f"+2547{n:08d}", "body": "Your ID card is ready. Help: 1919",
             "kind": "notice", "idempotency_key": f"ha-{n}"}
            for n in range(first, first + BATCH)]  # fmt: skip
    with found.transaction() as work:
        queue_messages(work, rows)


def _start(service: Service, through: Settings, fake_at) -> tuple[list[int], list[Popen[bytes]]]:
    """Two workers and two web nodes on PgBouncer and the sentinels; their ports and processes."""
    service.database_url = through.database_url
    service.use_sentinels(through.redis_sentinels, through.redis_sentinel_master)
    service.env.update(WORKERS, AT_API_BASE_URL=f"{fake_at.url}/version1")
    workers = [service.start_worker(), service.start_worker()]
    nodes = service.start_web_nodes(2)
    return list(nodes), [*workers, *nodes.values()]


def _periodic_runs(client: redis.Redis) -> dict[str, int]:
    """Each periodic job id RQ kept a result of (periodic-NAME-SLOT), and how often it ran."""
    keys = client.scan_iter(match="rq:results:periodic-*", count=1000)
    return {key.removeprefix("rq:results:"): cast(int, client.xlen(key)) for key in keys}


def _sweeps_since(runs: dict[str, int], epoch: float) -> int:
    """Sweeps (every SMS_SWEEP_SECONDS = 1 s: the slot is the epoch second) run after `epoch`."""
    return sum(1 for job in runs if job.startswith("periodic-sweep-") and
               int(job.rpartition("-")[2]) > epoch)  # fmt: skip


def _sent(fake_at, count: int, seconds: float = 60) -> None:
    wait_until(lambda: fake_at.stats()["unique"] >= count, seconds, f"{count} SMS at AT", 0.2)


def _completed_since(traffic: Traffic, began: float) -> int:
    return sum(completed(s) for s in traffic.sessions().values() if s[0].began > began)


def _kill_master(cluster: SentinelCluster, traffic: Traffic, fake_at) -> tuple[float, float]:
    """Kill the Redis master once traffic flows and SMS go out; when (monotonic, epoch)."""
    wait_until(lambda: sum(map(completed, traffic.sessions().values())) >= 4, 30, "traffic")
    _sent(fake_at, 30)
    killed = time.monotonic(), time.time()
    cluster.wait_for_new_master(cluster.kill_master())
    switched = time.monotonic()
    print(f"failover: the sentinels switched in {switched - killed[0]:.2f} s")
    wait_until(lambda: _completed_since(traffic, switched) > 0, BACK + AFTER, "service again")
    time.sleep(AFTER)
    return killed


def _figures(traffic: Traffic, killed: float, first: dict[str, int], last: dict[str, int]) -> str:
    hops = traffic.hops
    return (f"failover: {len(hops)} hops in {len(traffic.sessions())} sessions, "
            f"{sum(h.busy for h in hops)} busy, outage {outage(hops, killed):.2f} s, "
            f"slowest hop {max(h.ended - h.began for h in hops):.2f} s; SMS after the failover "
            f"{first['unique']} unique, {first['duplicates']} duplicated; after the lost worker "
            f"{last['unique']} unique, {last['duplicates']} duplicated")  # fmt: skip


def test_a_redis_failover_then_a_lost_web_node_and_worker(
    service, through, sender, sentinel_cluster, fake_at
):
    ports, (worker, _, _, node) = _start(service, through, fake_at)
    traffic = Traffic(service, ports).start()
    try:
        _send(sender, 1)
        killed, killed_epoch = _kill_master(sentinel_cluster, traffic, fake_at)
        _sent(fake_at, BATCH)
        first = fake_at.stats()
        _send(sender, BATCH + 1)
        _sent(fake_at, BATCH + 30)
        lost_at, lost_epoch = time.monotonic(), time.time()
        kill(node)
        kill(worker)
        time.sleep(AFTER)
    finally:
        traffic.stop()
    _sent(fake_at, 2 * BATCH)
    hops, sessions = traffic.hops, traffic.sessions()
    print(_figures(traffic, killed, first, fake_at.stats()))  # for the record, with -s
    assert all(hop.polite and hop.ended - hop.began < BUDGET for hop in hops)
    assert outage(hops, killed) < BACK
    assert any(hop.busy for hop in hops if hop.began >= killed)  # the switch was felt
    back = killed + outage(hops, killed)
    assert all(completed(s) for s in sessions.values() if s[0].began > back)
    assert first["unique"] == BATCH and first["duplicates"] == 0
    assert fake_at.stats()["unique"] == 2 * BATCH
    assert fake_at.stats()["duplicates"] <= RESENT_AT_MOST
    assert all(completed(s) for s in sessions.values() if s[0].began > lost_at - 1)
    assert _sweeps_since(_periodic_runs(sender.redis), killed_epoch + BACK)
    wait_until(lambda: _sweeps_since(_periodic_runs(sender.redis), lost_epoch + 1) > 0,
               SCHEDULER_BACK, "a sweep after the worker's death")  # fmt: skip
    assert set(_periodic_runs(sender.redis).values()) == {1}  # no period ran twice
