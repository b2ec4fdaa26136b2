"""Hand-computed DORA figures for the edge cases of issue 6 (part 5)."""

from datetime import timedelta

import pytest

from incidents.errors import DomainError
from incidents.models import Deployment
from metrics.dora import dora_report
from tests.factories import at, make_deployment, make_incident, make_service, make_team

START = at(2025, 3, 3)  # a Monday
END = at(2025, 3, 17)  # two whole ISO weeks later
HOUR = 3600.0
pytestmark = pytest.mark.django_db


def report(**kwargs):
    kwargs.setdefault("start", START)
    kwargs.setdefault("end", END)
    return dora_report(**kwargs)


def test_no_deployments_gives_null_figures_with_zero_counts():
    figures = report()

    frequency = figures["deployment_frequency"]
    assert frequency["count"] == 0
    assert frequency["per_day"] is None
    assert frequency["per_week"] is None
    assert frequency["deploy_days_per_week_median"] is None
    assert frequency["band"] is None
    assert figures["lead_time"]["median_seconds"] is None
    assert figures["lead_time"]["count"] == 0
    assert figures["change_failure_rate"] == {
        "value": None,
        "failed": 0,
        "total": 0,
        "band": None,
    }
    assert figures["failed_deployment_recovery_time"]["median_seconds"] is None
    assert figures["failed_deployment_recovery_time"]["open"] == 0
    assert figures["time_to_restore"]["median_seconds"] is None
    assert figures["time_to_restore"]["count"] == 0
    assert figures["rework_rate"] == {"value": None, "count": 0, "total": 0}
    assert figures["benchmark_year"] == 2023


def test_deployment_frequency_counts_completed_production_deployments():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 3, 10))
    make_deployment(service, finished_at=at(2025, 3, 3, 12))
    make_deployment(
        service, finished_at=at(2025, 3, 4, 10), status=Deployment.Status.ROLLED_BACK
    )
    make_deployment(
        service, finished_at=at(2025, 3, 5, 10), status=Deployment.Status.FAILURE
    )
    make_deployment(service, finished_at=at(2025, 3, 6, 10), environment="staging")

    frequency = report()["deployment_frequency"]

    assert frequency["count"] == 3
    assert frequency["per_day"] == pytest.approx(3 / 14)
    assert frequency["per_week"] == pytest.approx(1.5)
    # Week 1 has two deploy days (3rd and 4th), week 2 none: the median is 1.
    assert frequency["deploy_days_per_week_median"] == 1
    assert frequency["band"] == "high"
