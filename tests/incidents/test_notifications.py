from datetime import timedelta

import pytest

from incidents.models import Commit, Deployment, OutgoingWebhook, WebhookDelivery
from incidents.services.notifications import announce_deployment, deployment_message

from ..factories import at, make_deployment, make_service


def test_the_message_says_what_ships_and_what_to_expect(db):
    service = make_service("checkout")
    for n, minutes in enumerate([5, 9, 7]):
        finished = at(2025, 5, 1, 10 + n)
        latest = make_deployment(
            service,
            version=f"v1.{n}",
            started_at=finished - timedelta(minutes=minutes),
            finished_at=finished,
        )
    deployment = make_deployment(
        service,
        status=Deployment.Status.IN_PROGRESS,
        version="v2.0",
        started_at=at(2025, 5, 2, 9, 30),
        url="https://ci.example.com/runs/42",
    )
    Commit.objects.bulk_create(
        Commit(
            deployment=deployment,
            service=service,
            sha=f"{n:040x}",
            committed_at=at(2025, 5, 1, n),
            message=f"Subject {n} <b>\n\nbody text",
        )
        for n in range(12)
    )

    message = deployment_message(deployment)

    assert message["text"] == (
        ":rocket: Deployment of checkout v2.0 to production started"
    )
    fields = {
        f["text"].split("\n")[0].strip("*"): f["text"].split("\n", 1)[1]
        for f in message["blocks"][1]["fields"]
    }
    assert fields["Status"] == "In progress"
    assert fields["Environment"] == "production"
    assert fields["Version"] == "v2.0"
    assert fields["Started"] == "2025-05-02 09:30:00 UTC"
    # median of 5, 9 and 7 minutes
    assert fields["Expected duration"] == "about 7 min 0 s (median of the last 3)"
    assert fields["Rollback ready"] == f"Yes: v1.2 (#{latest.pk})"
    changes = message["blocks"][2]["text"]["text"]
    assert changes.startswith("*Changes (12)*")
    assert "Subject 0 &lt;b&gt;" in changes
    assert "body text" not in changes
    assert "Subject 10" not in changes
    assert changes.endswith("…and 2 more")
    assert "https://ci.example.com/runs/42" in message["blocks"][3]["text"]["text"]


def test_a_first_deployment_has_no_rollback_and_no_expected_duration(db):
    deployment = make_deployment(status=Deployment.Status.IN_PROGRESS)

    message = deployment_message(deployment)

    text = str(message["blocks"][1])
    assert "No: no earlier successful deployment" in text
    assert "unknown (no timed deployments yet)" in text
    assert "No commits reported." in message["blocks"][2]["text"]["text"]


def test_a_rollback_names_what_it_undoes(db):
    bad = make_deployment(version="v3.1")
    rollback = make_deployment(version="v3.0", rollback_of=bad)

    message = deployment_message(rollback)

    assert f"v3.1 (#{bad.pk})" in str(message["blocks"][1])
    assert message["text"].endswith("v3.0 to production succeeded")


def test_receivers_get_only_the_events_they_want(db):
    OutgoingWebhook.objects.create(
        name="ends", url="https://a.example.com", events=["deployment.finished"]
    )
    OutgoingWebhook.objects.create(name="all", url="https://b.example.com")
    OutgoingWebhook.objects.create(
        name="off", url="https://c.example.com", is_active=False
    )
    deployment = make_deployment(status=Deployment.Status.IN_PROGRESS)

    announce_deployment(deployment=deployment)

    assert list(WebhookDelivery.objects.values_list("webhook__name", "event")) == [
        ("all", "deployment.started")
    ]


def test_without_receivers_nothing_is_queued(db, django_assert_num_queries):
    deployment = make_deployment()

    with django_assert_num_queries(1):
        ids = announce_deployment(deployment=deployment)

    assert ids == []


@pytest.mark.parametrize("status", ["success", "failure"])
def test_a_deployment_posted_finished_is_announced_once(
    api, status, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr("incidents.tasks.deliver_webhook.delay", sent.append)
    OutgoingWebhook.objects.create(name="chat", url="https://hooks.example.com/x")
    body = {
        "service": "checkout",
        "environment": "production",
        "status": status,
        "external_id": "run-1",
    }

    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/deployments/", body, format="json")
        again = api.post("/api/deployments/", body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "deployment.finished"
    assert "checkout" in delivery.payload["text"]
    assert sent == [delivery.pk]
