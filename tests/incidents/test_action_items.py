from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents.errors import DomainError
from incidents.models import ActionItem, ActionItemDigest, OutgoingWebhook
from incidents.services.action_items import add_action_item, update_action_item
from incidents.tasks_digest import send_action_item_digests

from ..factories import (
    make_action_item,
    make_incident,
    make_postmortem,
    make_service,
    make_team,
    make_user,
)


@pytest.fixture
def postmortem(db):
    return make_postmortem(make_incident([make_service("checkout")]))


def test_creating_an_item_stores_every_field(postmortem, responder):
    item = add_action_item(
        postmortem=postmortem,
        actor=responder,
        title="Add a canary",
        kind=ActionItem.Kind.DETECT,
        owner=responder,
        due_date=date(2025, 2, 1),
        priority=ActionItem.Priority.P1,
        tracker_url="https://tracker.example/1",
    )

    item.refresh_from_db()
    assert (item.title, item.kind, item.owner, item.priority) == (
        "Add a canary",
        "detect",
        responder,
        "P1",
    )
    assert item.status == ActionItem.Status.OPEN
    assert item.completed_at is None


def test_a_blank_title_or_bad_url_is_refused(postmortem, responder):
    from django.core.exceptions import ValidationError

    with pytest.raises(DomainError):
        add_action_item(postmortem=postmortem, actor=responder, title="  ")
    with pytest.raises(ValidationError):
        add_action_item(
            postmortem=postmortem, actor=responder, title="x", tracker_url="nope"
        )

    assert ActionItem.objects.count() == 0


def test_closing_an_item_stamps_completion_and_reopening_clears_it(
    postmortem, responder
):
    item = make_action_item(postmortem)

    done = update_action_item(item=item, actor=responder, status="done")
    assert done.completed_at is not None
    reopened = update_action_item(item=item, actor=responder, status="open")

    assert reopened.completed_at is None


def overdue_setup():
    owner = make_user("olga", email="olga@example.com")
    other = make_user("omar", email="omar@example.com")
    postmortem = make_postmortem(make_incident())
    yesterday = timezone.localdate() - timedelta(days=1)
    make_action_item(postmortem, title="Overdue A", owner=owner, due_date=yesterday)
    make_action_item(postmortem, title="Overdue B", owner=owner, due_date=yesterday)
    make_action_item(postmortem, title="Future", owner=owner, due_date=date(2999, 1, 1))
    make_action_item(
        postmortem, title="Done", owner=other, due_date=yesterday, status="done"
    )
    return owner


def test_each_owner_gets_one_digest_of_their_overdue_items(
    db, django_capture_on_commit_callbacks
):
    owner = overdue_setup()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = send_action_item_digests()
    with django_capture_on_commit_callbacks(execute=True):
        again = send_action_item_digests()

    assert (outcome, again) == ("sent 1 digest(s)", "sent 0 digest(s)")
    [message] = mail.outbox
    assert message.to == ["olga@example.com"]
    assert "Overdue A" in message.body and "Overdue B" in message.body
    assert "Future" not in message.body
    digest = ActionItemDigest.objects.get()
    assert (digest.owner, digest.item_count) == (owner, 2)


def test_the_digest_goes_to_the_outgoing_webhooks_once_per_owner_and_day(
    db, django_capture_on_commit_callbacks
):
    owner = overdue_setup()
    webhook = OutgoingWebhook.objects.create(name="chat", url="http://127.0.0.1:9/")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_action_item_digests()

    delivery = webhook.deliveries.get()
    assert delivery.event == "action_items.overdue"
    assert delivery.dedupe_key == f"action-digest:{owner.pk}:{timezone.localdate()}"
    assert [i["title"] for i in delivery.payload["items"]] == ["Overdue A", "Overdue B"]
    assert len(callbacks) == 2  # the delivery task and the e-mail


def test_nobody_is_mailed_when_nothing_is_overdue(db):
    make_action_item(
        make_postmortem(make_incident()),
        owner=make_user("olga", email="o@example.com"),
        due_date=date(2999, 1, 1),
    )

    assert send_action_item_digests() == "sent 0 digest(s)"
    assert mail.outbox == []


def test_the_digest_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-action-item-digests"]
    assert entry["task"] == "incidents.tasks_digest.send_action_item_digests"


def test_the_list_shows_overdue_and_open_items_filtered(viewer_client, db):
    team = make_team("payments")
    pay = make_service("pay", team=team)
    web = make_service("web")
    olga = make_user("olga")
    yesterday = timezone.localdate() - timedelta(days=1)
    pm_pay = make_postmortem(make_incident([pay]))
    pm_web = make_postmortem(make_incident([web]))
    make_action_item(pm_pay, title="Pay late", owner=olga, due_date=yesterday)
    make_action_item(pm_pay, title="Pay later", due_date=date(2999, 1, 1))
    make_action_item(pm_web, title="Web late", owner=olga, due_date=yesterday)
    make_action_item(pm_web, title="Web closed", status="done")

    everything = viewer_client.get(reverse("incidents:action-items"))
    by_team = viewer_client.get(reverse("incidents:action-items"), {"team": "payments"})
    by_service = viewer_client.get(
        reverse("incidents:action-items"), {"service": "web"}
    )
    by_owner = viewer_client.get(reverse("incidents:action-items"), {"owner": "olga"})

    assert everything.status_code == 200
    titles = lambda r: [i.title for i in r.context["overdue"] + r.context["open"]]  # noqa: E731
    assert titles(everything) == ["Pay late", "Web late", "Pay later"]
    assert [i.title for i in everything.context["overdue"]] == ["Pay late", "Web late"]
    assert titles(by_team) == ["Pay late", "Pay later"]
    assert titles(by_service) == ["Web late"]
    assert titles(by_owner) == ["Pay late", "Web late"]


def test_a_responder_adds_and_edits_an_item_from_the_postmortem_page(
    responder_client, responder, postmortem
):
    key = postmortem.incident.key

    added = responder_client.post(
        reverse("incidents:action-item-create", args=[key]),
        {
            "new-title": "Rate-limit retries",
            "new-kind": "mitigate",
            "new-owner": "rita",
            "new-due_date": "2025-03-01",
            "new-priority": "P2",
            "new-status": "open",
            "new-tracker_url": "",
        },
    )
    item = ActionItem.objects.get()
    edited = responder_client.post(
        reverse("incidents:action-item-edit", args=[item.pk]),
        {
            "title": "Rate-limit retries",
            "kind": "mitigate",
            "owner": "",
            "due_date": "",
            "priority": "P2",
            "status": "done",
            "tracker_url": "https://tracker.example/9",
        },
    )

    assert added.status_code == 302
    assert edited.status_code == 302
    item.refresh_from_db()
    assert (item.owner, item.status, item.due_date) == (None, "done", None)
    assert item.tracker_url == "https://tracker.example/9"


def test_a_bad_item_form_answers_400_and_stores_nothing(responder_client, postmortem):
    response = responder_client.post(
        reverse("incidents:action-item-create", args=[postmortem.incident.key]),
        {"new-title": "", "new-kind": "nope"},
    )

    assert response.status_code == 400
    assert "new-title" in response.content.decode() or response.context["form"].errors
    assert ActionItem.objects.count() == 0


def test_an_item_form_due_after_2100_answers_400(responder_client, postmortem):
    response = responder_client.post(
        reverse("incidents:action-item-create", args=[postmortem.incident.key]),
        {
            "new-title": "Rate-limit retries",
            "new-kind": "mitigate",
            "new-due_date": "2999-01-01",
            "new-priority": "P2",
            "new-status": "open",
        },
    )

    assert response.status_code == 400
    assert "due_date" in response.context["form"].errors
    assert ActionItem.objects.count() == 0


def test_a_viewer_cannot_add_an_item(viewer_client, postmortem):
    response = viewer_client.post(
        reverse("incidents:action-item-create", args=[postmortem.incident.key]),
        {"new-title": "x"},
    )

    assert response.status_code == 403
    assert ActionItem.objects.count() == 0


def test_restricted_incidents_are_only_counted_in_shared_channels(
    db, django_capture_on_commit_callbacks
):
    owner = make_user("olga", email="olga@example.com")
    webhook = OutgoingWebhook.objects.create(name="chat", url="http://127.0.0.1:9/")
    yesterday = timezone.localdate() - timedelta(days=1)
    public = make_postmortem(make_incident(title="Slow search"))
    secret = make_postmortem(make_incident(title="Leak", is_restricted=True))
    secret.incident.responders.add(owner)
    hidden = make_postmortem(make_incident(title="Other leak", is_restricted=True))
    make_action_item(public, title="Add an index", owner=owner, due_date=yesterday)
    make_action_item(secret, title="Rotate keys", owner=owner, due_date=yesterday)
    make_action_item(hidden, title="Not hers", owner=owner, due_date=yesterday)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_action_item_digests()
    callbacks[-1]()  # the e-mail only; the webhook delivery is not attempted

    payload = webhook.deliveries.get().payload
    assert [i["title"] for i in payload["items"]] == ["Add an index"]
    assert payload["restricted_items"] == 1
    assert "Rotate keys" not in payload["text"]
    [message] = mail.outbox
    assert "Add an index" in message.body
    assert "Rotate keys" in message.body
    assert "Not hers" not in message.body
