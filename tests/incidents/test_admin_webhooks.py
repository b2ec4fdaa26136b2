"""The admin pages for outgoing webhooks never show a stored receiver URL again."""

import pytest
from django.contrib.auth.models import User

from incidents.models import OutgoingWebhook

SECRET_URL = "https://hooks.slack.com/services/T000/B000/s3cr3t-token-value"


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_superuser("root", password="pw-root"))
    return client


def test_the_change_page_does_not_show_the_stored_url(staff_client):
    webhook = OutgoingWebhook.objects.create(name="chat", url=SECRET_URL)

    change = staff_client.get(f"/admin/incidents/outgoingwebhook/{webhook.pk}/change/")
    listing = staff_client.get("/admin/incidents/outgoingwebhook/")

    assert change.status_code == 200 and listing.status_code == 200
    for response in (change, listing):
        assert "s3cr3t-token-value" not in response.text
    assert "hooks.slack.com" in listing.text


def test_saving_without_a_new_url_keeps_the_stored_one(staff_client):
    webhook = OutgoingWebhook.objects.create(name="chat", url=SECRET_URL)

    response = staff_client.post(
        f"/admin/incidents/outgoingwebhook/{webhook.pk}/change/",
        {"name": "team chat", "url": "", "events": "[]", "is_active": "on"},
    )

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.name, webhook.url) == ("team chat", SECRET_URL)


def test_a_new_receiver_needs_a_url(staff_client):
    response = staff_client.post(
        "/admin/incidents/outgoingwebhook/add/",
        {"name": "chat", "url": "", "events": "[]", "is_active": "on"},
    )

    assert response.status_code == 200
    assert "A receiver needs a URL." in response.text
    assert not OutgoingWebhook.objects.exists()
