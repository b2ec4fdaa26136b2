"""Writes ignore the fields the server owns: ids, authors, versions and the
timestamps of the record."""

from rest_framework.test import APIClient

from accounts.models import Role
from incidents.models import Deployment, Incident, Postmortem

from ..factories import make_incident, make_postmortem, make_service, make_token


def client_for(role: Role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(str(role), role)}")
    return client


def test_an_incident_post_cannot_set_its_id_source_or_record_times(db):
    make_service("checkout")
    client = client_for(Role.RESPONDER)

    response = client.post(
        "/api/incidents/",
        {
            "id": 4242,
            "title": "Checkout down",
            "severity": "SEV2",
            "services": ["checkout"],
            "started_at": "2025-05-02T10:00:00Z",
            "source": "alertmanager",
            "created_at": "2001-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert incident.pk != 4242
    assert response.json()["id"] == incident.pk
    assert incident.source == Incident.Source.API
    assert incident.created_at.year != 2001


def test_a_deployment_post_cannot_set_its_id_source_or_record_times(db):
    response = client_for(Role.INTEGRATION).post(
        "/api/deployments/",
        {
            "id": 777,
            "service": "checkout",
            "environment": "production",
            "source": "import",
            "created_at": "2001-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    deployment = Deployment.objects.get()
    assert deployment.pk != 777
    assert deployment.source == Deployment.Source.API
    assert deployment.created_at.year != 2001


def test_a_postmortem_edit_cannot_set_its_version_status_or_html(db):
    postmortem = make_postmortem(make_incident(), body="# Old")
    client = client_for(Role.RESPONDER)
    etag = client.get(f"/api/postmortems/{postmortem.pk}/")["ETag"]

    response = client.patch(
        f"/api/postmortems/{postmortem.pk}/",
        {
            "body": "# New",
            "version": 99,
            "status": "published",
            "body_html": "<script>alert(1)</script>",
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.json()
    postmortem.refresh_from_db()
    assert postmortem.body == "# New"
    assert postmortem.version == 2
    assert postmortem.status == Postmortem.Status.DRAFT
    assert "<script" not in postmortem.body_html
