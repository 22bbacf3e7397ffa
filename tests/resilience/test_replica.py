"""Lookups on a read replica: on the primary while it is down, back on it once it answers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from config import Settings
from ops.dbwatch import deadline
from ops.runtime import Runtime, build_runtime
from tests.faults.processes import wait_until
from tests.faults.proxy import FaultProxy
from tests.ussd_dial import Dial, ready_id_number

pytestmark = pytest.mark.postgres
RETRY = 0.5  # BREAKER_OPEN_SECONDS: how long lookups stay on the primary before a new try
REPLICA = "stand-in-replica"  # the replica's connections carry this application name
DEADLINE = 1.0  # as a hop's: a connection held longer is cut


def _with_replica(settings: Settings, proxy: FaultProxy) -> Settings:
    """The test database, reached through `proxy` under another name, as the read replica."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("a read replica needs PostgreSQL")
    url = make_url(settings.database_url).set(host="127.0.0.1", port=proxy.port)
    replica = url.update_query_dict({"application_name": REPLICA})
    return settings.with_overrides(database_replica_url=replica.render_as_string(False),
                                   breaker_open_seconds=RETRY)  # fmt: skip


@pytest.fixture()
def settings(settings, postgres_proxy):
    """The test settings with lookups on a stand-in replica that the test breaks."""
    return _with_replica(settings, postgres_proxy)


@pytest.fixture()
def runtime(settings) -> Iterator[Runtime]:
    found = build_runtime(settings)
    yield found
    found.dispose()


def _served_by(found: Runtime) -> str:
    """Which database answered a lookup run as a hop runs it: "failed" if it failed in time."""
    for attempt in (1, 2):  # once more on a fresh connection if a pooled one died
        try:
            with deadline(DEADLINE), found.reader_factory() as reader:
                return str(reader.execute(text("SHOW application_name")).scalar_one())
        except DBAPIError as exc:
            if not exc.connection_invalidated or attempt == 2:
                return "failed"
    raise AssertionError("unreachable")


@pytest.mark.parametrize("fault", ["reset", "blackhole"])
def test_lookups_use_the_primary_while_the_replica_is_down_then_return(
    runtime, postgres_proxy, fault
):
    assert _served_by(runtime) == REPLICA
    getattr(postgres_proxy, fault)()
    began = time.monotonic()
    assert _served_by(runtime) != REPLICA  # the primary, or a failure within the deadlines
    assert time.monotonic() - began < 2 * DEADLINE + 1.0
    began = time.monotonic()
    assert [_served_by(runtime) for _ in range(5)] == [""] * 5  # the primary's (no name)
    assert time.monotonic() - began < 1.0  # no more waits on the replica meanwhile
    postgres_proxy.pass_through()
    wait_until(lambda: _served_by(runtime) == REPLICA, 10 * RETRY, "lookups back on the replica")


def _status(client, number: str, session: int) -> str:
    dial = Dial(client, session_id=f"replica-{session}", phone=f"+2547116{session:05d}")
    dial.start()
    return dial.send("1", "1", number)


def test_status_hops_are_all_served_while_the_replica_goes_down(seeded, db_session, postgres_proxy):
    number, client = ready_id_number(db_session), seeded.test_client()
    before = [_status(client, number, n) for n in range(3)]
    postgres_proxy.reset()
    during = [_status(client, number, n) for n in range(3, 9)]
    assert all("ready for collection" in answer for answer in before + during)
