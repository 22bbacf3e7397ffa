"""The suppression list: adding a number is one idempotent statement."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from models import OptOut
from sms import optouts

PHONE = "+254700000051"


def _rows(app) -> list[tuple[str, str]]:
    with app.extensions["huduma"].session_factory() as session:
        return [(o.phone, o.reason) for o in session.scalars(select(OptOut))]


@pytest.mark.committed  # writers race in threads
def test_two_workers_adding_one_number_at_once_both_succeed(app):
    factory = app.extensions["huduma"].session_factory
    first = factory()
    first.begin()
    optouts.add(first, PHONE, optouts.BLACKLIST, "at_406")
    done: list[str] = []

    def second() -> None:
        with factory.begin() as session:
            optouts.add(session, PHONE, optouts.BLACKLIST, "at_406")
        done.append("committed")

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.3)  # let the second reach its insert and wait on the first's row
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert done == ["committed"] and _rows(app) == [(PHONE, "blacklist")]


def test_a_blacklist_replaces_a_stop_and_a_stop_never_softens_a_blacklist(app):
    factory = app.extensions["huduma"].session_factory
    for reason in (optouts.STOP, optouts.BLACKLIST, optouts.STOP):
        with factory.begin() as session:
            optouts.add(session, PHONE, reason, "test")
    assert _rows(app) == [(PHONE, "blacklist")]
