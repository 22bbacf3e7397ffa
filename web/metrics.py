"""Time every request of the app, per endpoint, method and status."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from ops.metrics import REQUEST_SECONDS


def _start_timer() -> None:
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("started")
    if started is not None:
        endpoint = request.endpoint or "unknown"
        REQUEST_SECONDS.labels(endpoint, request.method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


def instrument(app: Flask) -> None:
    """Time every request of `app`."""
    app.before_request(_start_timer)
    app.after_request(_observe)
