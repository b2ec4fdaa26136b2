import pytest

from incidents.models import Incident
from ops.task_counts import count_task

from ..factories import make_incident

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
