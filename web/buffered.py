"""The console's server side: each request body is read whole, within a deadline, before a thread.

A WSGI server hands the application a socket to read the body from, so a client that sends its
headers and then a few bytes holds a thread for as long as it likes. Here the body is read in the
event loop (one cheap task per connection), bounded in time and size; only a complete request
takes one of the app's threads. Slow or hostile clients cost the console nothing but sockets.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Reply = tuple[int, list[tuple[bytes, bytes]], bytes]


class BodyRefused(Exception):
    """The body came too slowly or is too large; `status` says which."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class Buffered:
    """An ASGI application running a WSGI app on whole, bounded request bodies."""

    def __init__(self, app: Flask, threads: int, body_seconds: float, max_body: int) -> None:
        self.app, self.body_seconds, self.max_body = app, body_seconds, max_body
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="console")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            body = await asyncio.wait_for(self.body(receive), self.body_seconds)
        except TimeoutError:
            await _refuse(send, 408, "the request body did not arrive in time")
            return
        except BodyRefused as refused:
            await _refuse(send, refused.status, refused.reason)
            return
        loop = asyncio.get_running_loop()
        status, headers, out = await loop.run_in_executor(self.pool, self.run, scope, body)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    async def body(self, receive: Receive) -> bytes:
        """Read the whole body, refusing one larger than `max_body`."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyRefused(400, "the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyRefused(413, f"the request body is larger than {self.max_body} bytes")
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def run(self, scope: Scope, body: bytes) -> Reply:
        """Call the WSGI app in a thread of the pool and collect its whole answer."""
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]

        result = self.app.wsgi_app(environ(scope, body), start_response)  # type: ignore[arg-type]
        try:
            out = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return started["status"], started["headers"], out


def environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI HTTP scope and its whole body."""
    server = scope.get("server") or ("127.0.0.1", 80)
    client = scope.get("client") or ("", 0)
    found: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"], "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]), "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }  # fmt: skip
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").upper().replace("-", "_"), raw_value
        if name == "CONTENT_TYPE":
            found["CONTENT_TYPE"] = value.decode("latin-1")
        elif name != "CONTENT_LENGTH":
            key = f"HTTP_{name}"
            text = value.decode("latin-1")
            found[key] = f"{found[key]},{text}" if key in found else text
    return found


async def _refuse(send: Send, status: int, reason: str) -> None:
    log.warning("console: request refused before the app: %s", reason)
    body = reason.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
