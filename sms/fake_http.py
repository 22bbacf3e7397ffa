"""The fake AT's HTTP/1.1 server: one asyncio loop, keep-alive, answers held back on request."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

MAX_HEAD = 64 * 1024
MAX_BODY = 4 * 1024 * 1024
REASONS = {
    200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 411: "Length Required", 413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
}  # fmt: skip


@dataclass(slots=True)
class Answer:
    """An HTTP answer: status, body and content type."""

    status: int
    body: bytes
    content_type: str = "application/json"
    dribble: float = 0.0  # seconds between pieces of the answer; 0 writes it at once
    piece: int = 4  # bytes per piece when dribbling


class App(Protocol):
    """What the server serves: an answer per request, and a count of connections."""

    def respond(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Answer, float]: ...

    def connected(self) -> None: ...


def _head(status: int, content_type: str, length: int, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
             f"Content-Type: {content_type}", f"Content-Length: {length}"]  # fmt: skip
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _encode(answer: Answer, keep_alive: bool) -> bytes:
    return _head(answer.status, answer.content_type, len(answer.body), keep_alive) + answer.body


def parse_head(raw: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Split a request head into method, target, version and lower-cased headers."""
    lines = raw.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method.upper(), target, version.strip().upper(), headers


def keeps_alive(version: str, headers: dict[str, str]) -> bool:
    """HTTP/1.1 keeps the connection unless told not to; HTTP/1.0 only when asked."""
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.1":
        return connection != "close"
    return connection == "keep-alive"


ServedApp = TypeVar("ServedApp", bound=App)


class Connection(asyncio.Protocol):
    """One client connection: parse requests in order, answer each (HTTP/1.1 keep-alive)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        # An answer held back (a stall) or dribbling: later requests wait their turn.
        self.holding = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.app.connected()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.holding:
            self.process()

    def process(self) -> None:
        """Answer every complete request in the buffer, stopping at a held-back answer."""
        while self.transport is not None and not self.transport.is_closing():
            request = self.next_request()
            if request is None:
                return
            answer, stall, alive = request
            if stall > 0 or answer.dribble > 0:
                self.holding = True
                asyncio.get_running_loop().call_later(stall, self.release, answer, alive)
                return
            self.send(answer, alive)

    def next_request(self) -> tuple[Answer, float, bool] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                self.send(Answer(431, b"head too large", "text/plain"), False)
            return None
        try:
            method, target, version, headers = parse_head(bytes(self.buffer[:end]))
            length = int(headers.get("content-length") or 0)
        except ValueError:
            self.send(Answer(400, b"bad request", "text/plain"), False)
            return None
        if "transfer-encoding" in headers or not 0 <= length <= MAX_BODY:
            self.send(Answer(411, b"send a Content-Length under 4 MB", "text/plain"), False)
            return None
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        answer, stall = self.app.respond(method, target, headers, body)
        return answer, stall, keeps_alive(version, headers)

    def release(self, answer: Answer, alive: bool) -> None:
        """Send a held-back answer (piece by piece if dribbling), then go on with the rest."""
        if answer.dribble > 0:
            self.trickle(_encode(answer, alive), answer, alive)
            return
        self.holding = False
        self.send(answer, alive)
        self.process()

    def trickle(self, rest: bytes, answer: Answer, alive: bool) -> None:
        """Write the next piece of a dribbled answer; after the last, go on with the rest."""
        if self.transport is None or self.transport.is_closing():
            return  # the client gave up waiting: stop dribbling
        self.transport.write(rest[: answer.piece])
        if len(rest) > answer.piece:
            loop, later = asyncio.get_running_loop(), rest[answer.piece :]
            loop.call_later(answer.dribble, self.trickle, later, answer, alive)
            return
        if not alive:
            self.transport.close()
            return
        self.holding = False
        self.process()

    def send(self, answer: Answer, alive: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return  # the client gave up waiting (a timeout): nothing to answer
        self.transport.write(_encode(answer, alive))
        if not alive:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class FakeServer(Generic[ServedApp]):
    """Serve an app on a socket bound at construction (port 0 picks a free one)."""

    def __init__(self, app: ServedApp, host: str, port: int) -> None:
        self.app = app
        self.socket = socket.create_server((host, port), backlog=1024, reuse_port=False)
        self.server_port: int = self.socket.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._entered, self._running = threading.Event(), threading.Event()
        self._halt, self._stopped = threading.Event(), threading.Event()

    def serve_forever(self) -> None:
        """Answer requests until `shutdown` is called."""
        self._entered.set()
        try:
            if not self._halt.is_set():
                asyncio.run(self._serve())
        finally:
            self._running.set()
            self._stopped.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            server = await self._loop.create_server(lambda: Connection(self.app), sock=self.socket)
        finally:
            self._running.set()
        async with server:
            if not self._halt.is_set():
                await self._stop.wait()

    def shutdown(self) -> None:
        """Stop serving and wait for the loop to end (call from another thread)."""
        self._halt.set()
        if not self._entered.is_set():
            return
        self._running.wait(timeout=10)
        if self._loop is not None and self._stop is not None and not self._stopped.is_set():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass  # the loop has just finished by itself
        self._stopped.wait(timeout=10)

    def server_close(self) -> None:
        """Close the listening socket."""
        self.socket.close()
