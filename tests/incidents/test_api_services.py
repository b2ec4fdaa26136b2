import pytest
from rest_framework.test import APIClient

from incidents.models import OutgoingWebhook, Service, WebhookDelivery

from ..factories import make_service, make_team


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_services_are_listed_by_slug_and_filtered_by_team(viewer):
    make_service("search", team=make_team("discovery"))
    make_service("checkout", team=make_team("payments"))
    make_service("billing", team=make_team("payments"))

    response = client_for(viewer).get("/api/services/", {"team__slug": "payments"})

    assert response.status_code == 200
    assert [s["slug"] for s in response.json()["results"]] == ["billing", "checkout"]


def test_an_admin_fills_in_a_service(admin_user):
    make_service("checkout")
    make_team("payments")

    response = client_for(admin_user).patch(
        "/api/services/checkout/",
        {
            "team": "payments",
            "tier": "tier1",
            "runbook_url": "https://wiki.example.com/runbooks/checkout",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    service = Service.objects.get(slug="checkout")
    assert (service.team.slug, service.tier) == ("payments", "tier1")


@pytest.mark.parametrize("persona", ["viewer", "responder"])
def test_only_admins_change_the_catalogue(db, request, persona):
    make_service("checkout")
    user = request.getfixturevalue(persona)

    response = client_for(user).patch(
        "/api/services/checkout/", {"tier": "tier1"}, format="json"
    )

    assert response.status_code == 403
    assert Service.objects.get().tier == Service.Tier.TIER_3


def test_admins_see_deliveries_without_receiver_urls(admin_user):
    hook = OutgoingWebhook.objects.create(
        name="chat", url="https://hooks.slack.com/services/T0/B0/secret"
    )
    WebhookDelivery.objects.create(
        webhook=hook, event="deployment.finished", payload={"text": "hi"}
    )

    response = client_for(admin_user).get(
        "/api/webhook-deliveries/", {"status": "pending"}
    )

    assert response.status_code == 200
    [delivery] = response.json()["results"]
    assert delivery["webhook"] == "chat"
    assert delivery["status"] == "pending"
    assert "secret" not in response.content.decode()


def test_responders_cannot_see_deliveries(responder):
    response = client_for(responder).get("/api/webhook-deliveries/")

    assert response.status_code == 403


def test_a_service_cannot_take_the_reserved_name_new(admin_user):
    response = client_for(admin_user).post(
        "/api/services/", {"slug": "new", "name": "New"}, format="json"
    )

    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]
    assert not Service.objects.exists()


def test_a_deployment_cannot_create_a_service_called_new(api):
    response = api.post(
        "/api/deployments/",
        {"service": "new", "environment": "production", "status": "success"},
        format="json",
    )

    assert response.status_code == 400
    assert "service" in response.json()["error"]["fields"]
    assert not Service.objects.exists()
