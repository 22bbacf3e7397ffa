"""Slow, hostile HTTP clients: headers that promise a body, a few bytes of it, then silence."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from tests.faults.processes import HOST

CONNECT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class SlowRequest:
    """What each slow client sends before it falls silent."""

    path: str = "/"
    method: str = "POST"
    content_length: int = 1000
    sent: bytes = b"text=1*"  # the few body bytes that do arrive

    def opening(self, host: str, port: int) -> bytes:
        """Return the request line, headers and the partial body."""
        head = (
            f"{self.method} {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {self.content_length}\r\n\r\n"
        )
        return head.encode("ascii") + self.sent


class SlowBodyClients:
    """`count` connections to an HTTP server, each stuck in the middle of its request body."""

    def __init__(
        self, port: int, count: int, host: str = HOST, request: SlowRequest = SlowRequest()
    ) -> None:
        self.address = (host, port)
        self.count = count
        self.request = request
        self.received: list[bytes] = []  # what the server answered on each connection
        self._sockets: list[socket.socket] = []
        self._closed_by_server: set[int] = set()

    def open(self) -> SlowBodyClients:
        """Open every connection and send its opening; nothing more is ever sent."""
        opening = self.request.opening(*self.address)
        try:
            for _ in range(self.count):
                sock = socket.create_connection(self.address, timeout=CONNECT_SECONDS)
                self._sockets.append(sock)
                self.received.append(b"")
                sock.sendall(opening)
        except OSError:
            self.close()
            raise
        return self

    def alive(self) -> int:
        """Count the connections the server has not closed yet (reading what it sent)."""
        for index, sock in enumerate(self._sockets):
            if index not in self._closed_by_server and self._drain(index, sock):
                self._closed_by_server.add(index)
        return len(self._sockets) - len(self._closed_by_server)

    def close(self) -> None:
        """Close every connection."""
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        self._closed_by_server.clear()

    def __enter__(self) -> SlowBodyClients:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    def _drain(self, index: int, sock: socket.socket) -> bool:
        """Read what is waiting on `sock`; tell whether the server has closed it."""
        sock.setblocking(False)
        try:
            while chunk := sock.recv(4096):
                self.received[index] += chunk
            return True
        except BlockingIOError:
            return False
        except OSError:
            return True  # reset by the server
