"""Fixtures of the fault tests: the service's own processes (the toolkit's come from the root)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.service import Service
from tests.sms.conftest import fake_at

__all__ = ["fake_at"]  # the fake AT, for the service's send tests


@pytest.fixture()
def service(app, database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Service]:
    """The service's processes on the test database and Redis (the `app` fixture cleans up)."""
    found = Service(database_url, redis_url, tmp_path)
    yield found
    found.stop_all()
