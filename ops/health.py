"""Readiness of a process's dependencies, each check bounded in time (web and worker alike)."""

from __future__ import annotations

import logging
from typing import cast

from redis import Redis
from sqlalchemy import Engine, text

from ops.dbwatch import deadline
from ops.runtime import Runtime

log = logging.getLogger(__name__)
OK = "ok"


def check_database(engine: Engine, seconds: float) -> str:
    """ "ok", or why the database does not answer within `seconds`."""
    try:
        with deadline(seconds), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return f"down: {type(exc).__name__}"
    return OK


def check_redis(redis: Redis) -> str:
    """ "ok" when Redis answers and takes writes (a master, not a read-only replica)."""
    try:
        info = cast(dict[str, object], redis.info("replication"))
        name = str(info.get("role", ""))
    except Exception as exc:
        log.warning("readiness: redis unreachable: %s", type(exc).__name__)
        return f"down: {type(exc).__name__}"
    if name != "master":
        log.warning("readiness: redis is a %s, not a writable master", name)
        return f"down: read-only {name}"
    return OK


def readiness(found: Runtime) -> dict[str, str]:
    """Each dependency's state: "ok" or why not."""
    seconds = found.settings.readiness_timeout
    return {"database": check_database(found.engine, seconds), "redis": check_redis(found.redis)}
