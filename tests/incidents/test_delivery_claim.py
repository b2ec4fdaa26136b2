import pytest

from incidents.models import OutgoingWebhook, WebhookDelivery
from incidents.tasks import deliver_webhook

pytestmark = pytest.mark.django_db


def test_a_delivery_whose_attempt_was_already_claimed_is_not_sent_again():
    # As a message redelivered after its worker died mid-send finds it: attempt 1
    # claimed, still pending. The URL would refuse a connection if it were tried.
    webhook = OutgoingWebhook.objects.create(name="chat", url="http://127.0.0.1:9/")
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="incident.opened", payload={}, attempts=1
    )

    outcome = deliver_webhook.apply(args=[delivery.pk]).get()

    assert outcome == "interrupted: not resent"
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert "not resent" in delivery.error


def test_a_delivered_notification_is_left_alone():
    webhook = OutgoingWebhook.objects.create(name="chat", url="http://127.0.0.1:9/")
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="incident.opened",
        payload={},
        status=WebhookDelivery.Status.DELIVERED,
        attempts=1,
    )

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "nothing to do"
    delivery.refresh_from_db()
    assert delivery.attempts == 1
