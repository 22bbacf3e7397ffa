"""Backoff between restarts and reconnections: doubling, capped, starting over after a good run."""

from __future__ import annotations

import time

import pytest

from ops.backoff import Backoff, nap


@pytest.mark.parametrize(("runs", "delays"), [
    ([0, 0, 0, 0, 0, 0, 0], [1, 2, 4, 8, 16, 30, 30]),
    ([0, 0, 0, 61, 0], [1, 2, 4, 1, 2]),
    ([5, 59.9, 60], [1, 2, 1]),
])  # fmt: skip
def test_delays_double_up_to_the_cap_and_start_over_after_a_settled_run(runs, delays):
    backoff = Backoff(base=1.0, cap=30.0, settle=60.0)
    assert [backoff.next_delay(ran_for) for ran_for in runs] == delays


def test_a_long_outage_stays_at_the_cap():
    backoff = Backoff(base=0.5, cap=10.0)
    assert [backoff.next_delay() for _ in range(2000)][-1] == 10.0


def test_a_nap_ends_early_once_asked_to_stop():
    started = time.monotonic()
    nap(30, lambda: time.monotonic() - started > 0.3)
    assert 0.3 <= time.monotonic() - started < 2
