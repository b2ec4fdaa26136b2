from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from incidents.models import Deployment, Incident
from metrics.models import SLO
from ops import prometheus
from ops.task_counts import count_task

from ..factories import make_deployment, make_incident, make_service

pytestmark = pytest.mark.django_db

URL = "/prometheus/metrics"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    settings.METRICS_ALLOWED_ADDRESSES = ["10.8.0.0/16"]
    return settings.METRICS_TOKEN


def lines(response) -> list[str]:
    return response.content.decode().splitlines()


@pytest.mark.parametrize(
    ("address", "header", "expected"),
    [
        ("203.0.113.7", "", 403),
        ("203.0.113.7", "Bearer wrong", 403),
        ("203.0.113.7", "Bearer scrape-secret-0123456789", 200),
        ("10.8.3.4", "", 200),
    ],
)
def test_only_the_token_or_an_internal_address_may_scrape(
    client, token, address, header, expected
):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get(URL, REMOTE_ADDR=address, **extra)

    assert response.status_code == expected


def test_open_incidents_are_counted_by_severity(client, token):
    make_incident(severity=Incident.Severity.SEV1)
    make_incident(severity=Incident.Severity.SEV1)
    make_incident(severity=Incident.Severity.SEV3)
    make_incident(severity=Incident.Severity.SEV2, status=Incident.Status.RESOLVED)

    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    found = lines(response)
    assert 'hindsight_open_incidents{severity="SEV1"} 2.0' in found
    assert 'hindsight_open_incidents{severity="SEV2"} 0.0' in found
    assert 'hindsight_open_incidents{severity="SEV3"} 1.0' in found


def test_celery_task_outcomes_counted_by_workers_are_exported(client, token):
    count_task(name="ops.tasks.back_up", state="succeeded")
    count_task(name="ops.tasks.back_up", state="succeeded")
    count_task(name="ops.tasks.back_up", state="failed")

    found = lines(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))

    assert (
        'hindsight_celery_tasks_total{state="succeeded",task="ops.tasks.back_up"} 2.0'
        in found
    )
    assert (
        'hindsight_celery_tasks_total{state="failed",task="ops.tasks.back_up"} 1.0'
        in found
    )


def test_requests_are_counted_by_django_prometheus(client, token):
    client.get("/accounts/login/")

    found = "\n".join(lines(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")))

    assert "django_http_requests_total_by_view_transport_method_total" in found
    assert 'view="login"' in found


@pytest.fixture
def fresh_dora(monkeypatch):
    monkeypatch.setattr(prometheus, "_dora_memo", {})


def test_dora_figures_of_the_last_30_days_are_exported(client, token, fresh_dora):
    now = timezone.now()
    service = make_service("checkout")
    for days_ago in (1, 2, 3):
        make_deployment(service, finished_at=now - timedelta(days=days_ago))
    make_deployment(
        service,
        status=Deployment.Status.FAILURE,
        finished_at=now - timedelta(days=4),
    )
    make_deployment(service, finished_at=now - timedelta(days=45))  # outside

    found = lines(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))

    # 3 completed deployments / 30 days; 1 failed of 4 finished.
    assert "hindsight_dora_deployments_per_day 0.1" in found
    assert "hindsight_dora_change_failure_rate 0.25" in found
    assert not any(line.startswith("hindsight_dora_lead_time") for line in found)


def test_error_budgets_are_exported_per_slo(client, token):
    now = timezone.now()
    service = make_service("checkout")
    SLO.objects.create(
        service=service,
        name="availability",
        target_percent=Decimal("99.9"),
        freeze_threshold=Decimal("0.4"),
    )
    started = now - timedelta(days=1)
    make_incident(
        [service],
        started_at=started,
        resolved_at=started + timedelta(minutes=21.6),
        impact_percent=100,
    )

    found = lines(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}"))

    # Budget: 30 days x 1440 min x 0.1% = 43.2 min; 21.6 consumed leaves half.
    labels = '{service="checkout",slo="availability"}'
    assert f"hindsight_slo_error_budget_consumed_minutes{labels} 21.6" in found
    assert f"hindsight_slo_error_budget_remaining_ratio{labels} 0.5" in found
    # Half the budget consumed is past the 40% freeze threshold.
    assert f"hindsight_slo_frozen{labels} 1.0" in found
