"""The fault benchmark's tally: which replies promised something, recovery, rows and targets."""

from __future__ import annotations

import json
import math
import random

from bench.callers import Dial as CallerDial
from bench.callers import Hop, pick
from bench.tally import Dial, Phase, Promised, promised, recovery, rows

QUIET = Phase("no fault", 0.0, None, 10.0)
FAULT = Phase("database blackholed", 10.0, 20.0, 30.0)


def _dial(kind: str, last: str, *hops: tuple[float, float, bool, bool], served=False) -> Dial:
    return Dial(kind, "+254700200001", served, last, hops)


def test_a_booking_promises_its_reference_or_an_sms_and_nothing_else_promises():
    dials = [
        _dial("booking", "END Booked. Your reference is HKA-7Q4M2. An SMS receipt is on its way.",
              (12.0, 0.1, True, False)),
        _dial("booking", "END We are busy. We will SMS you when your appointment is booked.",
              (14.0, 0.1, True, False)),
        _dial("booking", "END Service busy. Please try again in a few minutes.",
              (15.0, 0.1, True, True)),
        _dial("status", "END Application HK-ID-****03: being processed.", (16.0, 0.1, True, False)),
    ]  # fmt: skip
    assert [(p.at, p.reference) for p in promised(dials)] == [(12.0, "HKA-7Q4M2"), (14.0, None)]


def test_recovery_counts_from_the_fault_clearing_to_the_first_whole_lookup_after_it():
    dials = [
        _dial("status", "", (19.0, 1.5, True, False), served=True),  # began before it cleared
        _dial("status", "", (20.5, 0.2, True, True)),  # busy: not served
        _dial("status", "", (21.0, 0.3, True, False), (21.3, 0.2, True, False), served=True),
    ]
    assert recovery(FAULT, dials) == 1.5
    assert recovery(QUIET, dials) is None
    assert math.isinf(recovery(FAULT, dials[:2]))


def test_rows_count_hops_by_when_they_were_posted_and_miss_a_slow_one():
    dials = [
        _dial("status", "", (5.0, 0.1, True, False), (11.0, 2.5, True, False)),
        _dial("status", "", (12.0, 15.0, False, False)),
        _dial("status", "", (21.0, 0.2, True, False), served=True),
    ]
    quiet, fault = rows([QUIET, FAULT], dials, [], [])
    assert (quiet.hops, quiet.within, quiet.missed()) == (1, 1, [])
    assert (fault.hops, fault.answered, fault.within, fault.longest) == (3, 2, 1, 15.0)
    assert fault.missed() == ["33.33% of hops answered within 2 s"]


def test_a_lost_promise_counts_in_the_phase_it_was_made_in():
    made = [Promised("+254700200001", 3.0, "HKA-1"), Promised("+254700200002", 40.0, None)]
    quiet, fault = rows([QUIET, FAULT], [], made, made[1:])
    assert (quiet.promises, quiet.lost, fault.promises, fault.lost) == (1, 0, 1, 1)
    assert fault.missed() == [
        "0.00% of hops answered within 2 s", "no whole lookup served after it cleared",
        "1 of 1 promises lost",
    ]  # fmt: skip


def test_a_callers_dial_reads_back_as_written():
    written = CallerDial("status", "+254700100001")
    written.hops.append(Hop(1.0, 0.25, True, False))
    written.last = "END Application HK-ID-****03: received."
    read = Dial.parse(written.line(written.served(1)))
    assert (read.served, read.hops, read.ended) == (True, ((1.0, 0.25, True, False),), 1.25)
    assert json.loads(written.line(False))["phone"] == "+254700100001"


def test_a_caller_picks_only_numbered_options_never_navigation():
    screen = "CON Choose a centre\n1. GPO\n2. Kibra\n98.More 0.Back 00.Menu"
    assert {pick(screen, random.Random(n)) for n in range(20)} == {"1", "2"}
    assert pick("CON Enter your ID number", random.Random(1)) is None
