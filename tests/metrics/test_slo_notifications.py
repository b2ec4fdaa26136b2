from datetime import timedelta
from decimal import Decimal

import pytest

from incidents.models import OutgoingWebhook, WebhookDelivery
from metrics.models import SLO, SLOBudgetState
from metrics.slo.services import evaluate_slos
from metrics.tasks_slo import evaluate_slos as evaluate_slos_task
from tests.factories import at, make_incident, make_service

NOW = at(2025, 6, 30, 12, 0)


@pytest.fixture
def checkout(db):
    return make_service("checkout")


@pytest.fixture
def slo(checkout):
    # 43.2 minutes of budget; frozen past 21.6, exhausted at 43.2.
    return SLO.objects.create(
        service=checkout, name="availability", target_percent=Decimal("99.9")
    )


@pytest.fixture
def receiver(db):
    return OutgoingWebhook.objects.create(name="chat", url="https://chat.example/hook")


def outage(service, minutes, *, start=None):
    start = start or NOW - timedelta(days=1)
    return make_incident(
        [service], started_at=start, resolved_at=start + timedelta(minutes=minutes)
    )


def events():
    return list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))


def test_a_budget_within_its_threshold_notifies_nobody(slo, receiver, checkout):
    outage(checkout, 10)

    outcome = evaluate_slos(now=NOW)

    assert outcome == {"evaluated": 1, "changed": 0}
    assert events() == []


def test_crossing_the_threshold_notifies_once_however_often_it_is_checked(
    slo, receiver, checkout
):
    outage(checkout, 30)

    first = evaluate_slos(now=NOW)
    evaluate_slos(now=NOW + timedelta(minutes=5))
    evaluate_slos(now=NOW + timedelta(minutes=10))

    assert first["changed"] == 1
    assert events() == ["slo.frozen"]
    assert SLOBudgetState.objects.get(slo=slo).state == "frozen"
    delivery = WebhookDelivery.objects.get()
    assert "passed its freeze threshold" in delivery.payload["text"]


def test_exhausting_then_recovering_notifies_each_transition_once(
    slo, receiver, checkout
):
    outage(checkout, 30)
    evaluate_slos(now=NOW)
    outage(checkout, 20, start=NOW - timedelta(hours=5))
    evaluate_slos(now=NOW)
    evaluate_slos(now=NOW)

    # 31 days later both outages have left the 30-day window.
    later = NOW + timedelta(days=31)
    evaluate_slos(now=later)
    evaluate_slos(now=later + timedelta(hours=1))

    assert events() == ["slo.frozen", "slo.exhausted", "slo.recovered"]
    state = SLOBudgetState.objects.get(slo=slo)
    assert (state.state, state.episode) == ("ok", 1)


def test_one_large_outage_notifies_the_threshold_and_the_exhaustion(
    slo, receiver, checkout
):
    outage(checkout, 60)

    evaluate_slos(now=NOW)
    outage(checkout, 10, start=NOW - timedelta(hours=30))
    evaluate_slos(now=NOW)

    assert events() == ["slo.frozen", "slo.exhausted"]


def test_a_partial_recovery_within_the_episode_does_not_refreeze_loudly(
    slo, receiver, checkout
):
    incident = outage(checkout, 60)
    evaluate_slos(now=NOW)
    # Impact corrected down to 30 minutes: back under exhaustion, still frozen.
    incident.resolved_at = incident.started_at + timedelta(minutes=30)
    incident.save()

    evaluate_slos(now=NOW)

    assert events() == ["slo.frozen", "slo.exhausted"]
    assert SLOBudgetState.objects.get(slo=slo).state == "frozen"


def test_a_second_episode_notifies_again(slo, receiver, checkout):
    outage(checkout, 30)
    evaluate_slos(now=NOW)
    evaluate_slos(now=NOW + timedelta(days=31))

    outage(checkout, 30, start=NOW + timedelta(days=40))
    evaluate_slos(now=NOW + timedelta(days=41))

    assert events() == ["slo.frozen", "slo.recovered", "slo.frozen"]
    assert SLOBudgetState.objects.get(slo=slo).episode == 2


def test_the_beat_task_evaluates_every_slo(slo, receiver, checkout):
    SLO.objects.create(service=make_service("search"), name="a", target_percent=99)

    outcome = evaluate_slos_task()

    assert outcome == "2 evaluated, 0 changed"
    assert SLOBudgetState.objects.count() == 2
