"""Plug the fault toolkit's fixtures into the tests of this folder."""

from tests.faults.fixtures import (
    fault_proxy,
    pgbouncer,
    pgbouncer_factory,
    postgres_backend,
    postgres_proxy,
    redis_proxy,
    redis_server,
    sentinel_cluster,
    slow_clients,
)

__all__ = [
    "fault_proxy",
    "pgbouncer",
    "pgbouncer_factory",
    "postgres_backend",
    "postgres_proxy",
    "redis_proxy",
    "redis_server",
    "sentinel_cluster",
    "slow_clients",
]
