"""The toolkit's plumbing: missing programs skip locally and fail on CI; database targets."""

from __future__ import annotations

import pytest

from tests.faults import pgbouncer, sentinel
from tests.faults.fixtures import require
from tests.faults.pgbouncer import pgbouncer_binary
from tests.faults.postgres import PgTarget
from tests.faults.processes import BinaryMissing
from tests.faults.sentinel import sentinel_command
from tests.faults.service import Service


def _missing() -> str:
    raise BinaryMissing("/usr/sbin/nothing", "nothing-pkg")


def test_a_missing_program_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y nothing-pkg"):
        require(_missing)
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="/usr/sbin/nothing is not installed"):
        require(_missing)
    assert require(lambda: "found") == "found"


def test_a_missing_pgbouncer_names_its_package(monkeypatch, tmp_path):
    monkeypatch.setattr(pgbouncer, "DEBIAN_PGBOUNCER", tmp_path / "pgbouncer")
    with pytest.raises(BinaryMissing, match="apt-get install -y pgbouncer"):
        pgbouncer_binary()


def test_a_missing_sentinel_names_its_package(monkeypatch, tmp_path):
    monkeypatch.setattr(sentinel, "DEBIAN_SENTINEL", tmp_path / "redis-sentinel")
    monkeypatch.setattr(sentinel, "DEBIAN_REDIS", tmp_path / "redis-server")
    with pytest.raises(BinaryMissing, match="apt-get install -y redis-sentinel"):
        sentinel_command()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:5432/huduma_fl",
         PgTarget("127.0.0.1", 5432, "huduma_fl", "postgres")),
        ("postgresql://huduma:s3cret@db/huduma",
         PgTarget("db", 5432, "huduma", "huduma", "s3cret")),
        ("sqlite:///var/huduma.db", None),
        ("postgresql+psycopg://postgres@127.0.0.1:5432", None),
    ],
)  # fmt: skip
def test_a_target_is_read_from_a_database_url(url, expected):
    assert PgTarget.from_url(url) == expected


def test_via_points_the_same_database_at_another_port():
    target = PgTarget("127.0.0.1", 5432, "huduma_fl", "postgres")
    assert target.via(6432) == PgTarget("127.0.0.1", 6432, "huduma_fl", "postgres")


def test_a_services_own_settings_override_the_test_defaults(tmp_path):
    service = Service("postgresql://db/huduma", "redis://127.0.0.1:7000/0", tmp_path,
                      env={"APP_ENV": "production", "LOG_LEVEL": "INFO"})  # fmt: skip
    found = service.environment(LOG_LEVEL="ERROR")
    assert (found["APP_ENV"], found["LOG_LEVEL"]) == ("production", "ERROR")
    assert found["REDIS_URL"] == "redis://127.0.0.1:7000/0"
