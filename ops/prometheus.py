"""Hindsight's own figures for Prometheus, computed when it scrapes. django-prometheus
counts requests, latencies and errors."""

import logging
import os

import prometheus_client
from prometheus_client import multiprocess
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily

from incidents.selectors import open_incident_counts

from .task_counts import task_counts

logger = logging.getLogger(__name__)


def _open_incidents():
    family = GaugeMetricFamily(
        "hindsight_open_incidents",
        "Incidents not yet resolved, by severity",
        labels=["severity"],
    )
    for severity, count in sorted(open_incident_counts().items()):
        family.add_metric([severity], count)
    yield family


def _celery_tasks():
    family = CounterMetricFamily(
        "hindsight_celery_tasks",
        "Celery tasks finished, by task and outcome (counted by the workers)",
        labels=["task", "state"],
    )
    for (name, state), count in sorted(task_counts().items()):
        family.add_metric([name, state], count)
    yield family


class HindsightCollector:
    sources = (_open_incidents, _celery_tasks)

    def describe(self):
        # Registering would otherwise call collect(), querying a database that may
        # not be migrated yet.
        return []

    def collect(self):
        for source in self.sources:
            try:
                yield from list(source())
            except Exception:
                # One broken source (Redis down, say) must not blank the whole scrape.
                logger.warning(
                    "Metrics source %s failed", source.__name__, exc_info=True
                )


_collector = HindsightCollector()


def register_collector() -> None:
    if _collector not in REGISTRY._collector_to_names:
        REGISTRY.register(_collector)


def exposition() -> tuple[bytes, str]:
    """The scrape body. Under gunicorn with several workers (PROMETHEUS_MULTIPROC_DIR
    set, see config/gunicorn.py) request metrics are summed over all of them."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
    return prometheus_client.generate_latest(
        registry
    ), prometheus_client.CONTENT_TYPE_LATEST
