"""Slow-body clients against a tiny local HTTP server."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

import pytest

from tests.faults.processes import wait_until
from tests.faults.slowbody import SlowRequest


class BodyReader(BaseHTTPRequestHandler):
    """Read the whole body Content-Length promises, then answer 200."""

    timeout = 1.0  # a client silent this long is dropped (http.server closes on the timeout)
    server: RecordingServer

    def do_POST(self) -> None:
        promised = int(self.headers["Content-Length"])
        body = b""
        while len(body) < promised and (chunk := self.rfile.read1(promised - len(body))):
            body += chunk
            self.server.bodies[self.client_address] = (promised, body)
        if len(body) == promised:
            self.send_response(200)
            self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


class RecordingServer(HTTPServer):
    """One request at a time, noting each client's promised length and the body it got."""

    bodies: dict[object, tuple[int, bytes]]

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up is expected here."""


class ThreadedRecordingServer(ThreadingHTTPServer, RecordingServer):
    daemon_threads = True


@pytest.fixture()
def serve() -> Iterator[Callable[[type[RecordingServer]], RecordingServer]]:
    """Start an HTTP server of the given class on a free port."""
    servers: list[RecordingServer] = []

    def start(kind: type[RecordingServer]) -> RecordingServer:
        server = kind(("127.0.0.1", 0), BodyReader)
        server.bodies = {}
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _post(port: int, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=b"text=1", headers={"Content-Length": "6"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_slow_client_holds_a_single_threaded_server_until_closed(serve, slow_clients):
    port = serve(RecordingServer).server_address[1]
    held = slow_clients(port, 1)
    with pytest.raises(TimeoutError):
        _post(port, timeout=0.3)
    held.close()
    assert _post(port, timeout=2) == 200


def test_each_client_promises_a_body_sends_a_little_and_waits_to_be_dropped(serve, slow_clients):
    server = serve(ThreadedRecordingServer)
    request = SlowRequest(content_length=1000, sent=b"a=1")
    clients = slow_clients(server.server_address[1], 5, request=request)
    assert clients.alive() == 5
    wait_until(lambda: clients.alive() == 0, 3, "the server dropping silent clients")
    assert list(server.bodies.values()) == [(1000, b"a=1")] * 5
    assert clients.received == [b""] * 5  # dropped without an answer


def test_the_opening_is_headers_then_the_partial_body():
    opening = SlowRequest(path="/ussd", sent=b"phone=").opening("127.0.0.1", 8000)
    head, body = opening.split(b"\r\n\r\n")
    assert head.startswith(b"POST /ussd HTTP/1.1\r\nHost: 127.0.0.1:8000")
    assert b"Content-Length: 1000" in head and body == b"phone="
