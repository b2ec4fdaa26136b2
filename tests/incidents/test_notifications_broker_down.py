from datetime import timedelta

from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from incidents import tasks
from incidents.models import Deployment, OutgoingWebhook, WebhookDelivery

from ..factories import make_token


def test_a_deployment_is_recorded_while_the_broker_is_down(
    db, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    OutgoingWebhook.objects.create(name="chat", url="https://chat.example/hook")

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379")

    monkeypatch.setattr(tasks.deliver_webhook, "delay", broker_down)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('ci')}")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/deployments/",
            {"service": "checkout", "environment": "production", "status": "success"},
            format="json",
        )

    assert response.status_code == 201
    assert Deployment.objects.count() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 0


def test_stranded_deliveries_are_requeued_once_the_broker_is_back(db, monkeypatch):
    webhook = OutgoingWebhook.objects.create(name="chat", url="https://chat.example/h")
    old = WebhookDelivery.objects.create(webhook=webhook, event="e", payload={})
    fresh = WebhookDelivery.objects.create(webhook=webhook, event="e", payload={})
    tried = WebhookDelivery.objects.create(
        webhook=webhook, event="e", payload={}, attempts=1
    )
    WebhookDelivery.objects.filter(pk__in=[old.pk, tried.pk]).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    queued = []
    monkeypatch.setattr(tasks.deliver_webhook, "delay", queued.append)

    outcome = tasks.requeue_pending_deliveries()

    assert outcome == "requeued 1"
    assert queued == [old.pk]
    assert fresh.pk not in queued
