"""Hindsight's own figures for Prometheus, computed when it scrapes. django-prometheus
counts requests, latencies and errors."""

import logging
import os
import time
from datetime import timedelta

import prometheus_client
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily

from incidents.selectors import open_incident_counts
from metrics.dora import dora_report
from metrics.models import SLO
from metrics.slo import slo_statuses

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


DORA_WINDOW_DAYS = 30
# The DORA report reads the whole window; scrapes come every few seconds.
DORA_REFRESH_SECONDS = 60
_dora_memo: dict = {}


def _dora_figures() -> dict[str, float | None]:
    if (
        time.monotonic() - _dora_memo.get("at", -DORA_REFRESH_SECONDS)
        < DORA_REFRESH_SECONDS
    ):
        return _dora_memo["figures"]

    end = timezone.now()
    report = dora_report(start=end - timedelta(days=DORA_WINDOW_DAYS), end=end)
    figures = {
        "deployments_per_day": report["deployment_frequency"]["per_day"],
        "lead_time_median_seconds": report["lead_time"]["median_seconds"],
        "change_failure_rate": report["change_failure_rate"]["value"],
        "recovery_time_median_seconds": report["failed_deployment_recovery_time"][
            "median_seconds"
        ],
        "time_to_restore_median_seconds": report["time_to_restore"]["median_seconds"],
        "rework_rate": report["rework_rate"]["value"],
    }
    _dora_memo.update(at=time.monotonic(), figures=figures)
    return figures


def _dora():
    for name, value in _dora_figures().items():
        if value is None:
            continue  # no data is no sample, not zero
        family = GaugeMetricFamily(
            f"hindsight_dora_{name}",
            f"DORA {name.replace('_', ' ')}, all services, "
            f"last {DORA_WINDOW_DAYS} days",
        )
        family.add_metric([], value)
        yield family


def _error_budgets():
    slos = list(SLO.objects.select_related("service"))
    labels = ["service", "slo"]
    families = {
        "remaining": GaugeMetricFamily(
            "hindsight_slo_error_budget_remaining_ratio",
            "Share of the error budget left in the SLO's window",
            labels=labels,
        ),
        "consumed": GaugeMetricFamily(
            "hindsight_slo_error_budget_consumed_minutes",
            "Minutes of weighted impact inside the SLO's window",
            labels=labels,
        ),
        "burn": GaugeMetricFamily(
            "hindsight_slo_burn_rate",
            "Consumed share of the budget over elapsed share of the window",
            labels=labels,
        ),
        "frozen": GaugeMetricFamily(
            "hindsight_slo_frozen",
            "1 when the deploy gate freezes the service for this SLO",
            labels=labels,
        ),
    }
    for budget in slo_statuses(slos):
        key = [budget.service, budget.name]
        if budget.remaining_share is not None:
            families["remaining"].add_metric(key, budget.remaining_share)
        families["consumed"].add_metric(key, budget.consumed_minutes)
        if budget.burn_rate is not None:
            families["burn"].add_metric(key, budget.burn_rate)
        families["frozen"].add_metric(key, 1 if budget.frozen else 0)
    yield from families.values()


class HindsightCollector:
    sources = (_open_incidents, _celery_tasks, _dora, _error_budgets)

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
