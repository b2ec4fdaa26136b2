import pytest
from django.urls import reverse

from incidents.models import Service

from ..factories import make_service


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_adds_a_service(admin_client):
    response = admin_client.post(
        reverse("incidents:service-create"),
        {"slug": "billing", "name": "Billing", "tier": "tier1"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/services/billing/"
    service = Service.objects.get(slug="billing")
    assert (service.name, service.tier) == ("Billing", "tier1")


def test_an_admin_edits_a_service(admin_client):
    make_service("checkout")

    admin_client.post(
        reverse("incidents:service-edit", args=["checkout"]),
        {
            "slug": "checkout",
            "name": "Checkout API",
            "tier": "tier2",
            "runbook_url": "https://runbooks.example/checkout",
        },
    )

    service = Service.objects.get(slug="checkout")
    assert service.name == "Checkout API"
    assert service.runbook_url == "https://runbooks.example/checkout"


@pytest.mark.parametrize(
    ("slug", "field"), [("new", "slug"), ("has space", "slug"), ("checkout", "slug")]
)
def test_a_bad_or_taken_slug_is_refused_on_its_field(admin_client, slug, field):
    make_service("checkout")

    response = admin_client.post(
        reverse("incidents:service-create"),
        {"slug": slug, "name": "X", "tier": "tier3"},
    )

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Service.objects.count() == 1


def test_viewers_see_the_catalogue_without_edit_links(viewer_client):
    make_service("checkout")

    html = viewer_client.get(reverse("incidents:services")).content.decode()

    assert "checkout" in html
    assert "Add a service" not in html
    assert "/services/checkout/edit/" not in html
