"""Twenty counters pressing "call next" at the same moment get twenty different tickets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from models import Message, Role, StaffUser, Visit, VisitStatus, utcnow
from services.checkin import WalkIn, check_in_walk_in
from services.queueing import ORDER
from tests.staff.conftest import csrf, login
from tests.visits.conftest import build, local_now_slot

COUNTERS, TICKETS = 20, 25


@pytest.mark.slow
def test_twenty_simultaneous_calls_take_the_first_twenty_tickets_once_each(app, make_staff):
    now = utcnow()
    floor = build(app, now, (local_now_slot(now),), capacity=TICKETS)
    for n in range(TICKETS):
        asked = WalkIn(floor.services["ID_REPLACEMENT"], f"+2547120001{n:02d}", "en", f"race-{n}")
        floor.run(lambda work, asked=asked: check_in_walk_in(work, asked, floor.desk()))
    make_staff("counter-agent", Role.AGENT)
    with floor.session() as session:
        line = list(session.scalars(select(Visit.id).order_by(*ORDER)))
    clients = [app.test_client() for _ in range(COUNTERS)]
    tokens = [_logged_in(client, floor) for client in clients]
    barrier = Barrier(COUNTERS)

    def call(number: int):
        barrier.wait(timeout=30)
        form = {"counter": str(number + 1), "csrf_token": tokens[number]}
        return clients[number].post("/staff/counter/call", data=form).status_code

    with ThreadPoolExecutor(COUNTERS) as pool:
        assert list(pool.map(call, range(COUNTERS))) == [302] * COUNTERS
    with floor.session() as session:
        called = dict(session.execute(
            select(Visit.id, Visit.counter).where(Visit.status == VisitStatus.CALLED)
        ).all())  # fmt: skip
        sms = session.scalar(select(func.count()).where(Message.kind == "visit_called"))
        near = session.execute(select(Message.recipient, func.count()).where(
            Message.kind == "visit_near").group_by(Message.recipient)).all()  # fmt: skip
    assert sorted(called) == sorted(line[:COUNTERS])  # nobody skipped, nobody called twice
    assert sorted(called.values()) == list(range(1, COUNTERS + 1))
    assert sms == COUNTERS
    assert near and all(n == 1 for _, n in near)  # the next few heard it, each once


def _logged_in(client, floor) -> str:
    with floor.app.extensions["huduma"].session_factory.begin() as session:
        query = select(StaffUser).where(StaffUser.username == "counter-agent")
        session.scalars(query).one().centre_id = floor.centres["GPO"]
    assert login(client, "counter-agent") == 302
    return csrf(client, "/staff/counter/")


@pytest.mark.slow
def test_desks_checking_in_at_the_same_moment_number_tickets_one_by_one(app):
    now, desks = utcnow(), 10
    floor = build(app, now, (local_now_slot(now),), capacity=desks)
    barrier = Barrier(desks)

    def walk_in(n: int):
        asked = WalkIn(floor.services["ID_REPLACEMENT"], None, "en", f"desk-{n}")
        barrier.wait(timeout=30)
        return floor.run(lambda work: check_in_walk_in(work, asked, floor.desk())).ticket

    with ThreadPoolExecutor(desks) as pool:
        tickets = list(pool.map(walk_in, range(desks)))
    assert sorted(tickets) == [f"{n:03d}" for n in range(1, desks + 1)]
    assert floor.seats(floor.slot(local_now_slot(now))) == desks
