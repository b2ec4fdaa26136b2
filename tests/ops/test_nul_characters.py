"""NUL characters cannot be stored in PostgreSQL text, nor used in a lookup there:
every request carrying one is refused with a 400 that names where it was."""

import json

import pytest
from rest_framework.test import APIClient

from incidents.models import Deployment, Incident

from ..factories import make_incident, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder_api(responder):
    client = APIClient()
    client.force_authenticate(responder)
    return client


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api):
    response = api.get(
        "/api/deployments/previous/",
        {"service": "check\x00out", "environment": "production"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "service": ["service must not contain NUL characters."]
    }


def test_a_nul_in_a_json_slug_is_a_400_naming_its_path(responder_api):
    incident = make_incident([make_service("checkout")])

    response = responder_api.patch(
        f"/api/incidents/{incident.pk}/",
        {"services": ["checkout", "pay\x00ments"]},
        format="json",
    )

    assert response.status_code == 400
    assert "services.1" in response.json()["error"]["fields"]
    assert list(Incident.objects.get().services.values_list("slug", flat=True)) == [
        "checkout"
    ]


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(api):
    body = json.dumps(
        {
            "service": "checkout",
            "environment": "production",
            "status": "success",
            "changelog": "literal \\u0000 in a note",
        }
    )

    response = api.post("/api/deployments/", body, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert Deployment.objects.get().changelog == "literal \\u0000 in a note"


def test_a_nul_in_a_multipart_form_is_a_400(responder_api):
    incident = make_incident()

    response = responder_api.patch(
        f"/api/incidents/{incident.pk}/",
        {"services": "\x00"},
        format="multipart",
    )

    assert response.status_code == 400
    assert Incident.objects.get().title == incident.title


def test_a_nul_in_an_html_form_is_a_400_page_and_stores_nothing(responder_client):
    make_service("checkout")

    response = responder_client.post(
        "/incidents/new/",
        {"title": "Checkout down", "severity": "SEV2", "services": "check\x00out"},
    )

    assert response.status_code == 400
    assert b"NUL" in response.content
    assert not Incident.objects.exists()


def test_a_nul_in_the_path_is_a_400(api):
    response = api.get("/api/services/check%00out/")

    assert response.status_code == 400
    assert "path" in response.json()["error"]["fields"]


def test_a_nul_in_a_cookie_is_a_400(client):
    client.cookies["sessionid"] = "abc\x00def"

    response = client.get("/incidents/")

    assert response.status_code == 400


def test_a_form_too_large_to_check_is_still_a_413_from_the_api(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = api.post(
        "/api/deployments/",
        {"service": "checkout", "changelog": "x" * 500},
        format="multipart",
    )

    assert response.status_code == 413
    assert not Deployment.objects.exists()
