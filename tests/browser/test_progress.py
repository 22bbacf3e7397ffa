"""Watch a bulk send's progress bar reach completion against the fake AT, in headless Chromium."""

from __future__ import annotations

import importlib.util

import pytest

from models import Role
from tests.browser.conftest import log_in, shoot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("sms.fake_at") is None,
        reason="needs the SMS pipeline (sms/fake_at.py, outbox dispatch and the sender job): "
        "not merged from branch sms yet",
    ),
]


def test_progress_bar_reaches_completion(page_for, staff, tmp_path):
    page = page_for()
    log_in(page, staff("maker", Role.SUPERVISOR))
    shoot(page, "progress-placeholder")
