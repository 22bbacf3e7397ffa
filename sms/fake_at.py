"""A fake Africa's Talking SMS API for development, tests and benchmarks (127.0.0.1 only)."""

from __future__ import annotations

import argparse
import html
import itertools
import json
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sms.segments import count

PRICE_PER_PART = 0.8
STATUS_NAMES = {
    100: "Processed", 101: "Success", 102: "Queued", 401: "RiskHold", 402: "InvalidSenderId",
    403: "InvalidPhoneNumber", 404: "UnsupportedNumberType", 405: "InsufficientBalance",
    406: "UserInBlacklist", 407: "CouldNotRoute", 409: "DoNotDisturbRejection",
    500: "InternalServerError", 501: "GatewayError", 502: "RejectedByGateway",
}  # fmt: skip


@dataclass
class FakeState:
    """What the fake has accepted and how it is told to misbehave."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    inbox: dict[str, list[tuple[float, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    calls: int = 0
    fail_calls: int = 0
    fail_until: float = 0.0
    delay: float = 0.0
    delay_calls: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    callback_url: str = ""
    ids: Iterable[int] = field(default_factory=itertools.count)

    def control(self, orders: dict[str, Any]) -> None:
        """Apply orders such as {"fail_calls": 3} or {"delay": 2, "delay_calls": 1}."""
        with self.lock:
            if orders.get("reset"):
                self.counts.clear()
                self.inbox.clear()
                self.calls = 0
            self.fail_calls = int(orders.get("fail_calls", self.fail_calls))
            if "fail_seconds" in orders:
                self.fail_until = time.monotonic() + float(orders["fail_seconds"])
            self.delay = float(orders.get("delay", self.delay))
            self.delay_calls = int(orders.get("delay_calls", self.delay_calls))
            self.statuses.update({k: int(v) for k, v in orders.get("statuses", {}).items()})
            self.callback_url = str(orders.get("callback_url", self.callback_url))

    def stats(self) -> dict[str, int]:
        """Count calls, accepted messages, distinct (number, text) pairs and duplicates."""
        with self.lock:
            accepted = sum(self.counts.values())
            return {
                "calls": self.calls,
                "accepted": accepted,
                "unique": len(self.counts),
                "duplicates": accepted - len(self.counts),
            }

    def next_call(self) -> tuple[bool, float]:
        """Count a call and say whether to fail it and how long to stall it."""
        with self.lock:
            self.calls += 1
            failing = self.fail_calls > 0 or time.monotonic() < self.fail_until
            self.fail_calls = max(0, self.fail_calls - 1)
            stall = self.delay if self.delay_calls > 0 else 0.0
            self.delay_calls = max(0, self.delay_calls - 1)
            return failing, stall

    def accept(self, numbers: list[str], text: str, sender: str) -> list[dict[str, Any]]:
        """Record the numbers AT would send `text` to and build its per-recipient answer."""
        cost = f"KES {PRICE_PER_PART * count(text).parts:.4f}"
        now = time.time()
        rows = []
        with self.lock:
            for number in numbers:
                code = self.statuses.get(number, 101)
                message_id = f"ATXid_{next(iter(self.ids))}" if code < 200 else "None"
                if code < 200:
                    self.counts[(number, text)] += 1
                    self.inbox[number].append((now, text, sender))
                rows.append(_recipient(number, code, cost if code < 200 else "0", message_id))
        return rows


def _recipient(number: str, code: int, cost: str, message_id: str) -> dict[str, Any]:
    status = STATUS_NAMES.get(code, "Unknown")
    return {"statusCode": code, "number": number, "status": status, "cost": cost,
            "messageId": message_id}  # fmt: skip


class FakeAT:
    """The WSGI application: /version1/messaging, /control, /stats, /inbox."""

    def __init__(self) -> None:
        self.state = FakeState()
        self.reports: queue.Queue[dict[str, str]] = queue.Queue()
        threading.Thread(target=self._post_reports, daemon=True).start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.route(request)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        """Answer one request."""
        path = request.path.rstrip("/")
        if request.method == "POST" and path.endswith("/messaging"):
            return self.messaging(request)
        if request.method == "POST" and path == "/control":
            self.state.control(request.get_json(force=True, silent=True) or {})
            return _json(self.state.stats(), 200)
        if path == "/stats":
            return _json(self.state.stats(), 200)
        if path == "/inbox":
            return Response(self.inbox_page(), mimetype="text/html")
        return Response("not found", status=404)

    def messaging(self, request: Request) -> Response:
        """Behave like POST /version1/messaging."""
        if not request.headers.get("apiKey"):
            return Response("The supplied authentication is invalid", status=401)
        failing, stall = self.state.next_call()
        if stall:
            time.sleep(stall)
        if failing:
            return Response("Internal Server Error", status=500)
        numbers = [n for n in request.form.get("to", "").split(",") if n]
        text = request.form.get("message", "")
        rows = self.state.accept(numbers, text, request.form.get("from", "HUDUMA"))
        self._queue_reports(rows)
        sent = sum(1 for r in rows if r["statusCode"] < 200)
        total = sum(float(r["cost"].split()[-1]) for r in rows)
        note = f"Sent to {sent}/{len(rows)} Total Cost: KES {total:.4f}"
        return _json({"SMSMessageData": {"Message": note, "Recipients": rows}}, 201)

    def _queue_reports(self, rows: list[dict[str, Any]]) -> None:
        if not self.state.callback_url:
            return
        for row in rows:
            if row["statusCode"] < 200:
                self.reports.put({"id": row["messageId"], "status": "Success",
                                  "phoneNumber": row["number"], "networkCode": "63902",
                                  "retryCount": "0"})  # fmt: skip

    def _post_reports(self) -> None:
        while True:
            report = self.reports.get()
            try:
                requests.post(self.state.callback_url, data=report, timeout=5)
            except requests.RequestException:
                pass  # a lost report is what real networks do too

    def inbox_page(self) -> str:
        """Render what was 'sent', grouped per phone like an inbox."""
        with self.state.lock:
            numbers = sorted(self.state.inbox.items(), key=lambda kv: -kv[1][-1][0])[:200]
            blocks = [_inbox_block(number, list(texts)) for number, texts in numbers]
        body = "".join(blocks) or "<p>No messages yet.</p>"
        return (
            "<!doctype html><meta charset=utf-8><title>Fake AT inbox</title>"
            "<meta http-equiv=refresh content=5><h1>Fake Africa's Talking: inbox</h1>" + body
        )


def _inbox_block(number: str, texts: list[tuple[float, str, str]]) -> str:
    items = "".join(
        f"<li><small>{time.strftime('%H:%M:%S', time.localtime(at))} from "
        f"{html.escape(sender)}</small><br>{html.escape(text)}</li>"
        for at, text, sender in reversed(texts[-20:])
    )
    return f"<h2>{html.escape(number)}</h2><ul>{items}</ul>"


def _json(payload: object, status: int) -> Response:
    # The SDK compares the header exactly: no "; charset=utf-8".
    response = Response(json.dumps(payload), status=status)
    response.headers["Content-Type"] = "application/json"
    return response


class QuietHandler(WSGIRequestHandler):
    """Log nothing per request: the benchmark sends hundreds a second."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def serve(port: int, host: str = "127.0.0.1", callback_url: str = "") -> BaseWSGIServer:
    """Build a threaded server for a new fake (port 0 picks a free one)."""
    app = FakeAT()
    app.state.callback_url = callback_url
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    server.socket.listen(1024)
    return server


def main() -> None:
    """Run the fake AT until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--callback-url", default="")
    args = parser.parse_args()
    server = serve(args.port, callback_url=args.callback_url)
    print(f"fake AT on http://127.0.0.1:{server.server_port}/version1", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
