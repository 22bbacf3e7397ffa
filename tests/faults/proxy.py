"""A TCP proxy that a test switches between passing, swallowing and resetting traffic."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tests.faults.processes import HOST

CHUNK_BYTES = 65536
DIAL_SECONDS = 2.0
CONTROL_SECONDS = 5.0
LINGER_ZERO = struct.pack("ii", 1, 0)  # on, 0 s: close() sends RST instead of FIN


class Mode(StrEnum):
    """What the proxy does with connections, old and new."""

    PASS = "pass"  # forward both ways
    BLACKHOLE = "blackhole"  # accept and hold, forward nothing, answer nothing
    RESET = "reset"  # RST every connection, refuse new ones


@dataclass(slots=True, eq=False)  # identity: links live in a set
class _Link:
    """One client connection and, once dialled, its backend connection."""

    client: asyncio.StreamWriter
    task: asyncio.Future[None] | None = None
    backend: asyncio.StreamWriter | None = None

    def close(self, rst: bool) -> None:
        """Close both sides now: with RST when `rst`, else with FIN."""
        for writer in (self.client, self.backend):
            if writer is None or writer.transport.is_closing():
                continue
            if rst:
                writer.get_extra_info("socket").setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ZERO
                )
                writer.transport.abort()
            else:
                writer.close()


def _bound_socket(port: int) -> socket.socket:
    """Bind a socket that may share its port with the proxy's other socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((HOST, port))
    return sock


class FaultProxy:
    """Forward 127.0.0.1:`port` to a backend, in the mode a test sets at any time."""

    def __init__(
        self, backend_port: int, backend_host: str = HOST, *, slow: float = 0.0,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:  # fmt: skip
        self.backend = (backend_host, backend_port)
        self.slow = slow  # seconds of delay before each chunk is forwarded
        self.chunk_bytes = chunk_bytes
        self.accepted = 0
        # Bound but never listening, it keeps the port ours while RESET refuses connections.
        self._holder = _bound_socket(0)
        self.port: int = self._holder.getsockname()[1]
        self._mode = Mode.PASS
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None
        self._closing = False
        self._gate = asyncio.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"fault-proxy-{self.port}", daemon=True
        )

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def open_connections(self) -> int:
        return len(self._links)

    def start(self, seconds: float = CONTROL_SECONDS) -> FaultProxy:
        """Start listening, in PASS mode."""
        self._thread.start()
        try:
            self._call(self._switch(Mode.PASS), seconds)
        except BaseException:
            self.stop(seconds)
            raise
        return self

    def stop(self, seconds: float = CONTROL_SECONDS) -> None:
        """Close every connection and the listener, then end the proxy's thread; idempotent."""
        if self._loop.is_closed():
            return
        try:
            if self._thread.is_alive():
                self._call(self._close_all(rst=False, closing=True), seconds)
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(seconds)
        finally:
            if not self._thread.is_alive():
                self._loop.close()
            self._holder.close()

    def set_mode(self, mode: Mode, seconds: float = CONTROL_SECONDS) -> None:
        """Switch to `mode`; it applies to open connections as well as new ones."""
        self._call(self._switch(Mode(mode)), seconds)

    def pass_through(self) -> None:
        """Forward both ways again; anything held while swallowing flows on."""
        self.set_mode(Mode.PASS)

    def blackhole(self) -> None:
        """Keep connections open but forward and answer nothing."""
        self.set_mode(Mode.BLACKHOLE)

    def reset(self) -> None:
        """Send RST on every connection and refuse new ones."""
        self.set_mode(Mode.RESET)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _call(self, work: Coroutine[Any, Any, None], seconds: float) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=seconds)

    async def _switch(self, mode: Mode) -> None:
        self._mode = mode
        if mode is Mode.PASS:
            self._gate.set()
            if self._server is None:
                listener = _bound_socket(self.port)
                self._server = await asyncio.start_server(self._serve, sock=listener)
            return
        self._gate.clear()
        if mode is Mode.RESET:
            await self._close_all(rst=True)

    async def _close_all(self, rst: bool, closing: bool = False) -> None:
        self._closing = closing
        for link in list(self._links):
            link.close(rst)
            if link.task is not None:
                link.task.cancel()
        if self._server is not None:
            await self._stop_listening(self._server)
            self._server = None
        await self._settle()

    async def _stop_listening(self, server: asyncio.Server) -> None:
        # Python 3.11 leaks a connection accepted just before Server.close() (it never reaches
        # _serve): stop accepting first, let those accepted reach _serve, which closes them.
        loop = asyncio.get_running_loop()
        for listener in server.sockets:
            loop.remove_reader(listener.fileno())
        await self._settle()
        server.close()  # closes the listening socket: connecting is refused

    async def _settle(self) -> None:
        """Wait (at most a second) until the loop's other tasks have finished."""
        deadline = time.monotonic() + 1.0
        while (others := asyncio.all_tasks() - {asyncio.current_task()}) and (
            time.monotonic() < deadline
        ):
            await asyncio.wait(others, timeout=max(deadline - time.monotonic(), 0))
        await asyncio.sleep(0)  # let the transports' close callbacks run

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link = _Link(writer)
        self._links.add(link)
        try:
            if self._mode is not Mode.RESET and not self._closing:
                # Closing cancels this inner task, never the handler itself: Python 3.11's
                # stream server reports a cancelled handler as an error.
                link.task = asyncio.ensure_future(self._forward(reader, link))
                await link.task
        except (OSError, TimeoutError, asyncio.CancelledError):
            pass  # refused, unanswered or closed by the proxy: the client is simply closed
        finally:
            self._links.discard(link)
            link.close(rst=self._mode is Mode.RESET)

    async def _forward(self, reader: asyncio.StreamReader, link: _Link) -> None:
        await self._gate.wait()  # a blackhole holds new connections before they reach the backend
        dial = asyncio.open_connection(*self.backend)
        backend_reader, backend_writer = await asyncio.wait_for(dial, DIAL_SECONDS)
        link.backend = backend_writer
        await asyncio.gather(
            self._pump(reader, backend_writer, link),
            self._pump(backend_reader, link.client, link),
            return_exceptions=True,
        )

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link
    ) -> None:
        try:
            while True:
                data = await source.read(self.chunk_bytes)
                await self._gate.wait()  # held here, not lost: a healed network delivers late
                if not data:
                    return
                if self.slow:
                    await asyncio.sleep(self.slow)
                sink.write(data)
                await sink.drain()
        finally:
            link.close(rst=self._mode is Mode.RESET)
