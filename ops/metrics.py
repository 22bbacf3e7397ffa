"""Prometheus metrics: request latency per endpoint and queue depths."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from rq import Queue

REQUEST_SECONDS = Histogram(
    "huduma_http_request_seconds",
    "Time to answer an HTTP request",
    ["endpoint", "method", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class QueueDepthCollector(Collector):
    """Read RQ queue lengths at scrape time."""

    def __init__(self, queues: dict[str, Queue]) -> None:
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("huduma_queue_depth", "Jobs waiting", labels=["queue"])
        failed = GaugeMetricFamily("huduma_queue_failed", "Failed jobs", labels=["queue"])
        for name, queue in self.queues.items():
            depth.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
        yield depth
        yield failed


class _DefaultRegistry(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


CONTENT_TYPE = "text/plain; version=0.0.4"


def exposition(queues: dict[str, Queue], multiprocess_dir: str) -> bytes:
    """Build this scrape's registry (per-process or aggregated over workers) and render it."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    else:
        registry.register(_DefaultRegistry())
    registry.register(QueueDepthCollector(queues))
    return generate_latest(registry)


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
