"""Prometheus metrics. Under gunicorn the workers share them through PROMETHEUS_MULTIPROC_DIR
(set by gunicorn.conf.py); /metrics adds the outbox depth, read from the database at scrape."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

EVENTS = Counter("claimbot_line_events", "LINE webhook events taken in", ["type", "outcome"])
REPLIES = Counter("claimbot_line_replies", "Outbox rows written (replies owed)")
DELIVERIES = Counter("claimbot_line_deliveries", "Calls to the LINE API to deliver a row",
                     ["method", "outcome"])
RETRIES = Counter("claimbot_line_retries", "Deliveries scheduled for another try")
FAILED = Counter("claimbot_line_delivery_failures", "Outbox rows given up on")
REQUESTS = Counter("claimbot_webhook_requests", "Webhook requests by HTTP status", ["status"])
WEBHOOK_SECONDS = Histogram(
    "claimbot_webhook_seconds", "Time to answer one webhook request",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 5.0))
API_SECONDS = Histogram("claimbot_line_api_seconds", "LINE API call duration", ["method"],
                        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


class _Depth(Collector):
    def __init__(self, depth: Callable[[], int]) -> None:
        self.depth = depth

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("claimbot_outbox_depth", "Outbox rows not yet delivered")
        try:
            gauge.add_metric([], self.depth())
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database does
            return
        yield gauge


def exposition(depth: Callable[[], int]) -> bytes:
    """The Prometheus text of every worker's metrics plus the outbox depth."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        registry.register(_Depth(depth))
        return generate_latest(registry)
    registry.register(_Depth(depth))
    return generate_latest(REGISTRY) + generate_latest(registry)


def now() -> float:
    """A monotonic clock for durations."""
    return time.perf_counter()
