"""Settings of the engines: Redis through Sentinel, a read replica, pool sizes."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings
from config.sentinel import SentinelTarget
from tests.test_config import PRODUCTION_OK

SENTINELS = {"REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26380,[fd00::3]:26381,sentinel-4"}


def test_sentinels_are_read_with_master_db_and_passwords():
    settings = load_settings({**SENTINELS, "REDIS_SENTINEL_MASTER": "ha", "REDIS_DB": "3",
                              "REDIS_PASSWORD": "p", "REDIS_SENTINEL_PASSWORD": "s"})  # fmt: skip
    assert settings.sentinel == SentinelTarget(
        (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("fd00::3", 26381), ("sentinel-4", 26379)),
        "ha", 3, "p", "s",
    )  # fmt: skip
    assert not settings.redis_embedded


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis+sentinel://h1:1,h2:2/ha/4", SentinelTarget((("h1", 1), ("h2", 2)), "ha", 4)),
        ("redis+sentinel://:p%40ss@h1/ha", SentinelTarget((("h1", 26379),), "ha", 0, "p@ss")),
        ("redis+sentinel://h1:1", SentinelTarget((("h1", 1),), "huduma", 0)),
    ],
)
def test_a_sentinel_url_is_read(url, expected):
    assert load_settings({"REDIS_URL": url}).sentinel == expected


def test_a_plain_redis_url_uses_no_sentinel():
    settings = load_settings({"REDIS_URL": "redis://cache:6379/0"})
    assert settings.sentinel is None and not settings.redis_embedded


@pytest.mark.parametrize(
    "env",
    [
        {"REDIS_SENTINELS": "h1:notaport"},
        {"REDIS_SENTINELS": "h1:70000"},
        {"REDIS_SENTINELS": ":26379"},
        {"REDIS_SENTINELS": " , "},
        {"REDIS_URL": "redis+sentinel:///huduma"},
        {"REDIS_URL": "redis+sentinel://h1:1/huduma/zero"},
        {"REDIS_URL": "redis://cache:6379/0", **SENTINELS},
        {"DB_POOL_SIZE": "0"},
        {"DB_MAX_OVERFLOW": "-1"},
        {"WEB_THREADS": "8", "DB_POOL_SIZE": "4", "DB_MAX_OVERFLOW": "3"},
        {"DATABASE_REPLICA_URL": "postgresql+psycopg://replica/huduma"},  # primary is SQLite
        {"DATABASE_URL": "postgresql+psycopg://db/h", "DATABASE_REPLICA_URL": "sqlite:///r.db"},
    ],
)
def test_unreadable_or_contradictory_engine_settings_refuse_to_load(env):
    with pytest.raises(ConfigError):
        load_settings(env)


def test_production_runs_on_sentinels_without_a_redis_url():
    env = {k: v for k, v in PRODUCTION_OK.items() if k != "REDIS_URL"}
    assert load_settings({**env, **SENTINELS}).sentinel is not None


def test_a_replica_and_pool_sizes_are_read():
    settings = load_settings({"DATABASE_URL": "postgresql+psycopg://db/h", "DB_POOL_SIZE": "5",
                              "DATABASE_REPLICA_URL": "postgresql+psycopg://replica/h",
                              "DB_MAX_OVERFLOW": "0"})  # fmt: skip
    assert settings.database_replica_url == "postgresql+psycopg://replica/h"
    assert (settings.db_pool_size, settings.db_max_overflow) == (5, 0)
