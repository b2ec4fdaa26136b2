from django.test import Client

from incidents.models import Deployment, Incident

from ..factories import make_service


def test_a_cross_origin_form_post_changes_nothing(responder):
    service = make_service()
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)

    response = client.post(
        "/incidents/declare/",
        {"title": "Forged", "severity": "SEV1", "services": [service.pk]},
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_a_cross_origin_fetch_with_the_session_changes_nothing(responder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)

    response = client.post(
        "/api/deployments/",
        {"service": "checkout", "environment": "production", "status": "success"},
        content_type="application/json",
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert Deployment.objects.count() == 0
    assert "Access-Control-Allow-Origin" not in response.headers
