"""Faults the tests own: a switchable TCP proxy, Redis, Sentinel, PgBouncer, slow clients."""
