"""The fault proxy in each mode, in front of a real redis-server."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from tests.faults.proxy import Mode
from tests.faults.redis_server import no_retry


def _client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=0.3, socket_connect_timeout=0.3, retry=no_retry())


def _raw(port: int) -> socket.socket:
    """Connect a plain socket, so resets and held bytes show exactly as TCP delivers them."""
    return socket.create_connection(("127.0.0.1", port), timeout=0.3)


def test_pass_forwards_both_ways_and_counts_connections(redis_server, redis_proxy):
    with _client(redis_proxy.port) as through, redis_server.client() as direct:
        through.set("greeting", "habari")
        assert direct.get("greeting") == "habari"
        assert through.get("greeting") == b"habari"
    assert redis_proxy.accepted == 1 and redis_proxy.mode is Mode.PASS


def test_blackhole_keeps_an_open_connection_but_nothing_answers(redis_proxy):
    with _client(redis_proxy.port) as client:
        assert client.ping()
        redis_proxy.blackhole()
        began = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            client.ping()
        assert time.monotonic() - began < 1.0
    assert redis_proxy.accepted == 1


def test_blackhole_accepts_new_connections_and_holds_their_bytes_until_healed(redis_proxy):
    redis_proxy.blackhole()
    with _raw(redis_proxy.port) as sock:
        sock.sendall(b"PING\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(64)
        assert redis_proxy.open_connections == 1
        redis_proxy.pass_through()
        assert sock.recv(64) == b"+PONG\r\n"


def test_reset_sends_rst_to_open_connections_and_refuses_new_ones(redis_proxy):
    with _raw(redis_proxy.port) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(64) == b"+PONG\r\n"
        redis_proxy.reset()
        with pytest.raises(ConnectionResetError):
            sock.recv(64)
    with pytest.raises(ConnectionRefusedError):
        _raw(redis_proxy.port)
    assert redis_proxy.open_connections == 0


def test_pass_after_reset_listens_again_on_the_same_port(redis_proxy):
    redis_proxy.reset()
    redis_proxy.pass_through()
    with _client(redis_proxy.port) as client:
        assert client.ping()


def test_slow_delays_every_chunk_each_way(redis_proxy):
    redis_proxy.slow = 0.2
    with _raw(redis_proxy.port) as sock:
        sock.settimeout(2)
        began = time.monotonic()
        sock.sendall(b"PING\r\n")
        assert sock.recv(64) == b"+PONG\r\n"
        assert 0.4 <= time.monotonic() - began < 1.5


def test_stop_closes_held_connections_and_the_port_promptly(redis_server, fault_proxy):
    proxy = fault_proxy(redis_server.port)
    proxy.blackhole()
    held = _raw(proxy.port)
    began = time.monotonic()
    proxy.stop()
    assert time.monotonic() - began < 1.0
    assert held.recv(64) == b""  # closed by the proxy, not left hanging
    held.close()
    with pytest.raises(ConnectionRefusedError):
        _raw(proxy.port)
