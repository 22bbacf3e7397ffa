"""Prometheus metrics of every process: requests, USSD hops, jobs, SMS, dependencies.

With PROMETHEUS_MULTIPROC_DIR set, each process writes its values there and one scrape adds
them up (`ops/scrape.py`); without it each process exports its own.
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter, Gauge, Histogram

REQUEST_SECONDS = Histogram(
    "huduma_http_request_seconds",
    "Time to answer an HTTP request",
    ["endpoint", "method", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


DEPENDENCY_ERRORS = Counter(
    "huduma_dependency_errors_total", "Failures of a dependency, by kind", ["dependency", "kind"]
)
BREAKER_OPEN = Gauge(
    "huduma_breaker_open",
    "1 while a dependency's circuit breaker is open in this process",
    ["dependency"],
    multiprocess_mode="max",
)
USSD_OUTCOMES = Counter(
    "huduma_ussd_hops_total", "USSD hops by outcome and screen", ["outcome", "screen"]
)


class HopOutcome(StrEnum):
    """What became of one USSD hop (the `outcome` label of huduma_ussd_hops_total)."""

    SERVED = "served"  # a screen shown; the session goes on
    ENDED = "ended"  # a final screen
    INVALID = "invalid"  # an input the screen refused (the third one ends the session)
    REPLAYED = "replayed"  # a replay or a stray text: the reply it had before
    BUSY = "busy"  # a dependency failed during the hop: the polite END
    SHED = "shed"  # refused at once while a circuit breaker is open: the polite END
    FOREIGN = "foreign"  # a service code this deployment does not answer
    UNREADABLE = "unreadable"  # a request that is not a hop


def count_hop(outcome: HopOutcome, screen: str = "") -> None:
    """Count one USSD hop's outcome on the screen it ended on."""
    USSD_OUTCOMES.labels(outcome.value, screen).inc()


class JobOutcome(StrEnum):
    """How one run of a job ended (the `outcome` label of huduma_jobs_total)."""

    SUCCEEDED = "succeeded"
    RETRIED = "retried"  # failed; RQ runs it again later
    FAILED = "failed"  # failed for good: in the failed-job registry


JOB_SECONDS = Histogram(
    "huduma_job_seconds",
    "Time one job ran in a worker, by queue and job",
    ["queue", "job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
JOBS = Counter(
    "huduma_jobs_total", "Jobs run, by queue, job and outcome", ["queue", "job", "outcome"]
)
SCHEDULER_LOCKS = Gauge(
    "huduma_scheduler_locks",
    "Queues whose scheduler lock this process holds",
    multiprocess_mode="mostrecent",  # a restarted worker's old value must not add to its new one
)
SMS_OUTCOMES = Counter(
    "huduma_sms_total", "SMS outcomes by status and reason", ["status", "reason"]
)


def count_sms(status: str, reason: str = "") -> None:
    """Count one SMS that reached `status` (sent, failed, queued for retry, suppressed)."""
    SMS_OUTCOMES.labels(status, reason or "").inc()


RETENTION_ROWS = Counter(
    "huduma_retention_rows_total",
    "Rows the retention job anonymised or deleted, by data class",
    ["data_class", "treatment"],
)
