"""A worker's or scheduler's own /healthz, /readyz and /metrics, on METRICS_PORT.

A web unit answers these through its app; a worker or scheduler on a host of its own has no app,
so it serves them from a small HTTP server on a thread of its process.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ops.health import OK, readiness
from ops.runtime import Runtime
from ops.scrape import CONTENT_TYPE, exposition

log = logging.getLogger(__name__)
READ_SECONDS = 5.0  # a scraper that sends its request slower than this is dropped
Status = Callable[[], dict[str, str]]


class Exporter:
    """Serve health and metrics for this process, when METRICS_PORT is set."""

    def __init__(self, found: Runtime, status: Status) -> None:
        self.found, self.status = found, status
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> int:
        """Listen and serve on a daemon thread; return the port (0: none was asked for)."""
        settings = self.found.settings
        if not settings.metrics_port:
            return 0
        server = ThreadingHTTPServer((settings.metrics_host, settings.metrics_port), self.handler())
        server.daemon_threads = True
        # RQ forks its scheduler from a worker: the child must not keep this port open.
        os.register_at_fork(after_in_child=server.socket.close)
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        self.server = server
        port = int(server.server_address[1])
        log.info("health and metrics on http://%s:%d/metrics", settings.metrics_host, port)
        return port

    def stop(self) -> None:
        """Stop serving (tests)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for one GET."""
        if path == "/healthz":
            return _json(200, {"status": "ok", **self.status()})
        if path == "/readyz":
            checks = readiness(self.found)
            ready = all(value == OK for value in checks.values())
            body = {"status": "ready" if ready else "unavailable", "checks": checks}
            return _json(200 if ready else 503, body)
        if path == "/metrics":
            return 200, CONTENT_TYPE, exposition(self.found)
        return _json(404, {"error": "Not Found"})

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class, bound to this exporter."""
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            timeout = READ_SECONDS

            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                try:
                    status, kind, body = exporter.answer(self.path.split("?", 1)[0])
                except Exception:  # a scrape gets a 500, the process goes on
                    log.exception("metrics: could not answer %s", self.path.split("?", 1)[0])
                    status, kind, body = _json(500, {"error": "Internal Server Error"})
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                log.debug("metrics: " + format, *args)

        return Handler


def _json(status: int, body: Mapping[str, object]) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(body).encode()
