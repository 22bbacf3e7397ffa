"""One JSON access line per request, and the request's id on every line it logs.

The id comes from a trusted proxy's X-Request-ID (so the proxy's log and ours meet), or is made
here; it is bound for the request's log lines and sent back in the response's X-Request-ID.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

from config import Settings
from ops.logs import bound, mask_text

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("web.access")
HEADER = "X-Request-ID"
ENVIRON_KEY = "huduma.request_id"
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id(environ: WSGIEnvironment, trust_incoming: bool) -> str:
    """The proxy's id when it is trusted and well formed, else a new one."""
    given = str(environ.get("HTTP_X_REQUEST_ID", "")) if trust_incoming else ""
    return given if ACCEPTED.fullmatch(given) else uuid.uuid4().hex


class RequestLog:
    """WSGI middleware: bind a request id, answer it in a header, log the request once."""

    def __init__(self, app: WSGIApplication, trust_incoming: bool, enabled: bool) -> None:
        self.app, self.trust_incoming, self.enabled = app, trust_incoming, enabled

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        rid = environ[ENVIRON_KEY] = request_id(environ, self.trust_incoming)
        seen = {"status": "500"}

        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            seen["status"] = status
            headers.append((HEADER, rid))
            return start_response(status, headers, *exc_info)

        began = time.perf_counter()
        with bound(request_id=rid):
            try:
                return self.app(environ, start)
            finally:
                if self.enabled:
                    record(environ, seen["status"], time.perf_counter() - began)


def record(environ: WSGIEnvironment, status: str, seconds: float) -> None:
    """Log one finished request (its path without the query: callback URLs carry a secret)."""
    method, path = str(environ.get("REQUEST_METHOD", "")), mask_text(environ.get("PATH_INFO", ""))
    code = int(status.split(" ", 1)[0]) if status[:3].isdigit() else 500
    ms = round(seconds * 1000, 1)
    fields = {"method": method, "path": path, "status": code, "duration_ms": ms,
              "client": str(environ.get("REMOTE_ADDR", ""))}  # fmt: skip
    log.info("%s %s %d %.1f ms", method, path, code, ms, extra=fields)


def log_requests(app: Flask, settings: Settings) -> None:
    """Log every request of `app` (unless ACCESS_LOG is off) and give each an id."""
    app.wsgi_app = RequestLog(  # type: ignore[method-assign]
        app.wsgi_app, settings.trusted_proxies > 0, settings.access_log
    )
