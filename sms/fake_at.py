"""A fake Africa's Talking SMS API for development, tests and benchmarks (127.0.0.1 only).

One asyncio process speaking HTTP/1.1 with keep-alive, so it answers thousands of calls a second
and counts every accepted message exactly (no counts to share between processes).
"""

from __future__ import annotations

import argparse
import html
import json
import queue
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import requests

from sms.fake_http import REASONS, Answer, FakeServer
from sms.segments import count

PRICE_PER_PART = 0.8
STATUS_NAMES = {
    100: "Processed", 101: "Success", 102: "Queued", 401: "RiskHold", 402: "InvalidSenderId",
    403: "InvalidPhoneNumber", 404: "UnsupportedNumberType", 405: "InsufficientBalance",
    406: "UserInBlacklist", 407: "CouldNotRoute", 409: "DoNotDisturbRejection",
    500: "InternalServerError", 501: "GatewayError", 502: "RejectedByGateway",
}  # fmt: skip


@dataclass
class Behaviour:
    """How the fake is told to misbehave; `reset` restores these defaults."""

    fail_calls: int = 0
    fail_until: float = 0.0
    fail_status: int = 500
    delay: float = 0.0
    delay_calls: int = 0
    delay_until: float = 0.0
    dribble: float = 0.0  # seconds between pieces of an answer, for the next dribble_calls
    dribble_calls: int = 0
    dribble_bytes: int = 4
    statuses: dict[str, int] = field(default_factory=dict)
    reports: dict[str, dict[str, str]] = field(default_factory=dict)
    empty_answer: str = ""
    # How a call that is taken is answered: AT's JSON under an exact content type, unless told.
    answer_status: int = 201
    content_type: str = "application/json"
    answer_body: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    """How the fake treats one call: a failure status (0: none), a stall, the answer's form."""

    failure: int
    stall: float
    empty: str
    status: int
    content_type: str
    body: str
    dribble: float
    piece: int

    def answer(self, payload: object) -> Answer:
        """The answer to a call that was taken: `payload` as JSON, or the body it was told."""
        body = self.body.encode() if self.body else json.dumps(payload).encode()
        return Answer(self.status, body, self.content_type, self.dribble, self.piece)


@dataclass
class FakeState:
    """What the fake has accepted and how it behaves."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    per_number: Counter[str] = field(default_factory=Counter)
    inbox: dict[str, list[tuple[float, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    calls: int = 0
    connections: int = 0
    next_id: int = 0
    behaviour: Behaviour = field(default_factory=Behaviour)
    callback_url: str = ""

    def control(self, orders: dict[str, Any]) -> None:
        """Apply orders such as {"fail_seconds": 2} or {"delay": 2, "delay_calls": 1}."""
        with self.lock:
            if orders.get("reset"):
                self.per_number.clear()
                self.inbox.clear()
                self.calls = self.connections = 0
                self.behaviour = Behaviour()
            _apply_orders(self.behaviour, orders, time.monotonic())
            self.callback_url = str(orders.get("callback_url", self.callback_url))

    def stats(self) -> dict[str, int]:
        """Count calls and accepted messages; duplicates are repeats to one number."""
        with self.lock:
            accepted = sum(self.per_number.values())
            return {
                "calls": self.calls,
                "connections": self.connections,
                "accepted": accepted,
                "unique": len(self.per_number),
                "duplicates": accepted - len(self.per_number),
            }

    def next_call(self) -> Plan:
        """Count a call and say how to treat it."""
        with self.lock:
            rules, now = self.behaviour, time.monotonic()
            self.calls += 1
            failing = rules.fail_calls > 0 or now < rules.fail_until
            rules.fail_calls = max(0, rules.fail_calls - 1)
            stall = rules.delay if rules.delay_calls > 0 or now < rules.delay_until else 0.0
            rules.delay_calls = max(0, rules.delay_calls - 1)
            dribble = rules.dribble if rules.dribble_calls > 0 else 0.0
            rules.dribble_calls = max(0, rules.dribble_calls - 1)
            return Plan(rules.fail_status if failing else 0, stall, rules.empty_answer,
                        rules.answer_status, rules.content_type, rules.answer_body, dribble,
                        rules.dribble_bytes)  # fmt: skip

    def accept(self, numbers: list[str], text: str, sender: str) -> list[dict[str, Any]]:
        """Record the numbers AT would send `text` to and build its per-recipient answer."""
        cost = f"KES {PRICE_PER_PART * count(text).parts:.4f}"
        now = time.time()
        rows = []
        with self.lock:
            for number in numbers:
                code = self.behaviour.statuses.get(number, 101)
                message_id = "None"
                if code < 200:
                    self.next_id += 1
                    message_id = f"ATXid_{self.next_id}"
                    self.per_number[number] += 1
                    self.inbox[number].append((now, text, sender))
                rows.append(_recipient(number, code, cost if code < 200 else "0", message_id))
        return rows

    def final_report(self, number: str) -> dict[str, str]:
        """The final delivery status AT will report for `number` (Success unless told)."""
        with self.lock:
            return dict(self.behaviour.reports.get(number, {"status": "Success"}))


def _apply_orders(rules: Behaviour, orders: dict[str, Any], now: float) -> None:
    rules.fail_calls = int(orders.get("fail_calls", rules.fail_calls))
    rules.fail_status = int(orders.get("fail_status", rules.fail_status))
    if "fail_seconds" in orders:
        rules.fail_until = now + float(orders["fail_seconds"])
    rules.delay = float(orders.get("delay", rules.delay))
    rules.delay_calls = int(orders.get("delay_calls", rules.delay_calls))
    if "delay_seconds" in orders:
        rules.delay_until = now + float(orders["delay_seconds"])
    rules.dribble = float(orders.get("dribble", rules.dribble))
    rules.dribble_calls = int(orders.get("dribble_calls", rules.dribble_calls))
    rules.dribble_bytes = max(1, int(orders.get("dribble_bytes", rules.dribble_bytes)))
    rules.statuses.update({k: int(v) for k, v in orders.get("statuses", {}).items()})
    for number, report in orders.get("reports", {}).items():
        rules.reports[number] = {str(k): str(v) for k, v in report.items()}
    rules.empty_answer = str(orders.get("empty_answer", rules.empty_answer) or "")
    rules.answer_status = int(orders.get("answer_status", rules.answer_status))
    rules.content_type = str(orders.get("content_type", rules.content_type))
    rules.answer_body = str(orders.get("answer_body", rules.answer_body) or "")


def _recipient(number: str, code: int, cost: str, message_id: str) -> dict[str, Any]:
    status = STATUS_NAMES.get(code, "Unknown")
    return {"statusCode": code, "number": number, "status": status, "cost": cost,
            "messageId": message_id}  # fmt: skip


class FakeAT:
    """The application: /version1/messaging, /control, /stats, /inbox."""

    def __init__(self) -> None:
        self.state = FakeState()
        self.reports: queue.Queue[dict[str, str]] = queue.Queue()
        threading.Thread(target=self._post_reports, daemon=True).start()

    def connected(self) -> None:
        """Count a new client connection."""
        with self.state.lock:
            self.state.connections += 1

    def respond(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Answer, float]:
        """Answer one request; also say how long to hold the answer back."""
        path = path.split("?", 1)[0].rstrip("/")
        if method == "POST" and path.endswith("/messaging"):
            return self.messaging(headers, body)
        if method == "POST" and path == "/control":
            return self.control(body), 0.0
        if path == "/stats":
            return _json(self.state.stats(), 200), 0.0
        if path == "/inbox":
            return Answer(200, self.inbox_page().encode(), "text/html; charset=utf-8"), 0.0
        return Answer(404, b"not found", "text/plain"), 0.0

    def control(self, body: bytes) -> Answer:
        """Apply the orders in a JSON body; a bad order changes nothing and is a 400."""
        orders = _json_object(body)
        try:
            _apply_orders(Behaviour(), orders, time.monotonic())  # check every order first
        except (TypeError, ValueError, AttributeError) as exc:
            return Answer(400, f"bad order: {exc}".encode(), "text/plain")
        self.state.control(orders)
        return _json(self.state.stats(), 200)

    def messaging(self, headers: dict[str, str], body: bytes) -> tuple[Answer, float]:
        """Behave like POST /version1/messaging."""
        if not headers.get("apikey"):
            return Answer(401, b"The supplied authentication is invalid", "text/plain"), 0.0
        plan = self.state.next_call()
        if plan.failure:
            failed = Answer(plan.failure, REASONS.get(plan.failure, "Error").encode(), "text/plain")
            return failed, plan.stall
        if plan.empty:
            return plan.answer(
                {"SMSMessageData": {"Message": plan.empty, "Recipients": []}}
            ), plan.stall
        form = parse_qs(body.decode("utf-8", "replace"))
        numbers = [n for n in form.get("to", [""])[0].split(",") if n]
        text = form.get("message", [""])[0]
        # AT has taken the messages even when its answer is slow to come back.
        rows = self.state.accept(numbers, text, form.get("from", ["HUDUMA"])[0])
        self._queue_reports(rows)
        sent = sum(1 for r in rows if r["statusCode"] < 200)
        total = sum(float(r["cost"].split()[-1]) for r in rows)
        note = f"Sent to {sent}/{len(rows)} Total Cost: KES {total:.4f}"
        return plan.answer({"SMSMessageData": {"Message": note, "Recipients": rows}}), plan.stall

    def _queue_reports(self, rows: list[dict[str, Any]]) -> None:
        if not self.state.callback_url:
            return
        for row in rows:
            if row["statusCode"] < 200:
                final = self.state.final_report(row["number"])
                self.reports.put({"id": row["messageId"], "phoneNumber": row["number"],
                                  "networkCode": "63902", "retryCount": "0", **final})  # fmt: skip

    def _post_reports(self) -> None:
        session = requests.Session()
        while True:
            report = self.reports.get()
            try:
                session.post(self.state.callback_url, data=report, timeout=5)
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


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _inbox_block(number: str, texts: list[tuple[float, str, str]]) -> str:
    items = "".join(
        f"<li><small>{time.strftime('%H:%M:%S', time.localtime(at))} from "
        f"{html.escape(sender)}</small><br>{html.escape(text)}</li>"
        for at, text, sender in reversed(texts[-20:])
    )
    return f"<h2>{html.escape(number)}</h2><ul>{items}</ul>"


def _json(payload: object, status: int) -> Answer:
    # The SDK compares the header exactly: no "; charset=utf-8".
    return Answer(status, json.dumps(payload).encode())


def serve(port: int, host: str = "127.0.0.1", callback_url: str = "") -> FakeServer[FakeAT]:
    """Build a server for a new fake (port 0 picks a free one); call serve_forever to run it."""
    app = FakeAT()
    app.state.callback_url = callback_url
    return FakeServer(app, host, port)


def main() -> None:
    """Run the fake AT until stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--callback-url", default="")
    args = parser.parse_args()
    server = serve(args.port, callback_url=args.callback_url)
    print(f"fake AT on http://127.0.0.1:{server.server_port}/version1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
