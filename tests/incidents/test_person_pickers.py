"""API tokens act as users, some with a person role, but are never offered or
accepted where a form asks for a person."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from incidents.models import ActionItem, Incident

from ..factories import (
    make_action_item,
    make_incident,
    make_postmortem,
    make_service,
    make_token,
)

TOKEN_USER = "token:t-integration"


@pytest.fixture
def token_user(db):
    make_token("t-integration", role=Role.RESPONDER)
    return User.objects.get(username=TOKEN_USER)


def _options(response, field: str) -> list[str]:
    return [str(choice) for choice, _ in response.context["form"].fields[field].choices]


@pytest.mark.parametrize("field", ["commander", "communications_lead"])
def test_the_declare_form_offers_no_token_as_an_incident_role(
    responder_client, token_user, field
):
    response = responder_client.get(reverse("incidents:declare"))

    assert response.status_code == 200
    assert "rita" in _options(response, field)
    assert TOKEN_USER not in _options(response, field)


def test_declaring_with_a_token_as_commander_is_refused(responder_client, token_user):
    service = make_service()

    response = responder_client.post(
        reverse("incidents:declare"),
        {
            "title": "Checkout down",
            "severity": "SEV1",
            "services": service.pk,
            "commander": TOKEN_USER,
        },
    )

    assert response.status_code == 400
    assert "commander" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_editing_an_incident_to_a_token_as_communications_lead_is_refused(
    responder_client, token_user
):
    incident = make_incident(title="Checkout down")

    response = responder_client.post(
        reverse("incidents:edit", args=[incident.key]),
        {
            "title": "Checkout down",
            "severity": incident.severity,
            "impact_percent": "100",
            "services": [s.pk for s in incident.services.all()],
            "communications_lead": TOKEN_USER,
        },
    )

    assert response.status_code == 400
    assert "communications_lead" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.communications_lead is None


def test_the_commander_filter_of_the_incident_list_offers_no_token(
    viewer_client, token_user
):
    response = viewer_client.get(reverse("incidents:list"))

    assert response.status_code == 200
    assert 'value="vera"' in response.content.decode()
    assert TOKEN_USER not in response.content.decode()


def test_the_action_item_owner_picker_offers_no_token(responder_client, token_user):
    postmortem = make_postmortem(make_incident())
    item = make_action_item(postmortem)

    response = responder_client.get(
        reverse("incidents:action-item-edit", args=[item.pk])
    )

    assert response.status_code == 200
    assert "rita" in _options(response, "owner")
    assert TOKEN_USER not in _options(response, "owner")


def test_an_action_item_owned_by_a_token_is_refused(responder_client, token_user):
    postmortem = make_postmortem(make_incident())

    response = responder_client.post(
        reverse("incidents:action-item-create", args=[postmortem.incident.key]),
        {
            "new-title": "Rate-limit retries",
            "new-kind": "mitigate",
            "new-owner": TOKEN_USER,
            "new-priority": "P2",
            "new-status": "open",
        },
    )

    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert not ActionItem.objects.exists()


def test_the_api_refuses_a_token_as_an_action_item_owner(responder, token_user):
    postmortem = make_postmortem(make_incident())
    api = APIClient()
    api.force_authenticate(responder)

    response = api.post(
        "/api/action-items/",
        {"postmortem": postmortem.pk, "title": "Add a canary", "owner": TOKEN_USER},
    )

    assert response.status_code == 400
    assert "owner" in response.json()["error"]["fields"]
    assert not ActionItem.objects.exists()
