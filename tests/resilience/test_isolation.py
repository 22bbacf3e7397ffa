"""No number of slow or hostile clients on the console can delay USSD hops."""

from __future__ import annotations

import pytest
import requests

from tests.faults.processes import wait_until
from tests.faults.service import Service
from tests.faults.slowbody import SlowRequest

pytestmark = pytest.mark.committed  # the service's own processes

SLOW = SlowRequest(path="/staff/login")


def _usual(service: Service) -> float:
    return max(reply.seconds for _ in range(5) for reply in service.dial("1"))


def test_fifty_slow_bodies_on_the_console_leave_ussd_hops_as_fast(service, slow_clients):
    service.start_callbacks()
    service.start_console()
    usual = _usual(service)
    with slow_clients(service.console_port, 50, request=SLOW):
        replies = [reply for _ in range(10) for reply in service.dial("1")]
    assert {r.status for r in replies} == {200} and all(r.body[:4] == "CON " for r in replies)
    assert max(r.seconds for r in replies) < max(2.0, 3 * usual)


def test_the_console_answers_its_own_pages_while_slow_bodies_hang(service, slow_clients):
    service.start_console()
    page = f"http://127.0.0.1:{service.console_port}/staff/login"
    with slow_clients(service.console_port, 50, request=SLOW):
        assert requests.get(page, timeout=2).status_code == 200


def test_a_body_that_never_arrives_is_refused_in_time(service, slow_clients):
    service.env["WEB_BODY_SECONDS"] = "1"
    service.start_console()
    with slow_clients(service.console_port, 5, request=SLOW) as slow:
        wait_until(lambda: slow.alive() == 0, 10, "slow bodies refused")
        assert all(b" 408 " in answer for answer in slow.received)
