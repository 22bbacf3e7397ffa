"""The shared send rate: two senders on the real Redis never exceed it together."""

from __future__ import annotations

import threading
import time

import pytest
import redis as redis_lib

from sms.ratelimit import RateLimited, take_send_tokens

RATE = 10


def _sender(url: str, grants: list[float], lock: threading.Lock, count: int) -> None:
    client = redis_lib.Redis.from_url(url)  # each sender its own connection, like two workers
    for _ in range(count):
        take_send_tokens(client, 1, RATE, wait=30)
        with lock:
            grants.append(time.monotonic())
    client.close()


def test_two_senders_share_one_rate(app, settings):
    grants: list[float] = []
    lock = threading.Lock()
    senders = [
        threading.Thread(target=_sender, args=(settings.redis_url, grants, lock, 15))
        for _ in range(2)
    ]
    started = time.monotonic()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=60)
    assert len(grants) == 30
    # 30 sends at 10/s shared: the 11th and the 21st each wait until a whole second of
    # grants has passed, so the last comes at least 2 s after the first whatever the load.
    # Two separate limits would let both senders finish in about one second.
    assert max(grants) - started >= 2.0


def test_tokens_that_cannot_be_had_in_time_raise_instead_of_sending(app):
    redis = app.extensions["huduma"].redis_raw
    take_send_tokens(redis, RATE, RATE)
    with pytest.raises(RateLimited):
        take_send_tokens(redis, 1, RATE, wait=0.05)


def test_a_request_larger_than_the_rate_is_refused(app):
    with pytest.raises(RateLimited):
        take_send_tokens(app.extensions["huduma"].redis_raw, RATE + 1, RATE)
