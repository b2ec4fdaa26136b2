from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from metrics.models import SLO, FreezeOverride
from metrics.slo import gate
from tests.factories import make_incident, make_service

GATE = "/api/gate/"


@pytest.fixture
def checkout(db):
    return make_service("checkout")


@pytest.fixture
def slo(checkout):
    # 99.9% over 30 days: 43.2 minutes of budget, frozen past 21.6.
    return SLO.objects.create(
        service=checkout, name="availability", target_percent=Decimal("99.9")
    )


@pytest.fixture
def outage(checkout):
    """A 30-minute full outage yesterday: 69.4% of the budget."""
    start = timezone.now() - timedelta(days=1)
    return make_incident(
        [checkout], started_at=start, resolved_at=start + timedelta(minutes=30)
    )


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_service_within_budget_may_deploy(api, slo):
    response = api.get(GATE, {"service": "checkout", "environment": "production"})

    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is True
    assert body["service"] == "checkout"
    assert body["slos"][0]["name"] == "availability"
    assert body["slos"][0]["budget_minutes"] == 43.2
    assert body["slos"][0]["consumed_minutes"] == 0
    assert body["slos"][0]["frozen"] is False


def test_a_service_past_its_freeze_threshold_may_not_deploy(api, slo, outage):
    response = api.get(GATE, {"service": "checkout", "environment": "production"})

    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is False
    assert "availability" in body["reasons"][0]
    assert "69.4%" in body["reasons"][0]
    figures = body["slos"][0]
    assert figures["consumed_minutes"] == 30
    assert figures["consumed_share"] == pytest.approx(30 / 43.2, abs=1e-4)
    assert figures["remaining_minutes"] == 13.2
    assert figures["frozen"] is True
    assert "override" not in body


def test_non_production_environments_are_always_allowed(api, slo, outage):
    response = api.get(GATE, {"service": "checkout", "environment": "staging"})

    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is True
    assert "not a production environment" in body["reasons"][0]
    assert body["slos"][0]["frozen"] is True


def test_an_unknown_service_is_allowed_and_says_why(api, db):
    response = api.get(GATE, {"service": "new-thing", "environment": "production"})

    assert response.status_code == 200
    assert response.json()["allowed"] is True
    assert "unknown" in response.json()["reasons"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"environment": "production"}, "service"),
        ({"service": "checkout"}, "environment"),
    ],
)
def test_a_gate_question_without_its_parameters_is_a_400(api, db, query, field):
    response = api.get(GATE, query)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_active_override_lets_a_frozen_service_deploy(api, slo, outage, admin_user):
    FreezeOverride.objects.create(
        service=slo.service,
        reason="Shipping the fix for the outage",
        created_by=admin_user,
        expires_at=timezone.now() + timedelta(hours=2),
    )

    response = api.get(GATE, {"service": "checkout", "environment": "production"})

    body = response.json()
    assert body["allowed"] is True
    assert body["override"]["reason"] == "Shipping the fix for the outage"
    assert body["override"]["created_by"] == "ada"
    assert "overridden by ada" in body["reasons"][-1]


def test_an_expired_override_no_longer_opens_the_gate(slo, outage, admin_user):
    now = timezone.now()
    FreezeOverride.objects.create(
        service=slo.service,
        reason="Hotfix",
        created_by=admin_user,
        created_at=now - timedelta(hours=3),
        expires_at=now + timedelta(hours=1),
    )

    assert gate("checkout", "production", now=now).allowed is True
    later = now + timedelta(hours=1)
    assert gate("checkout", "production", now=later).allowed is False


def test_admins_override_a_freeze_through_the_api(admin_user, slo, outage):
    response = client_for(admin_user).post(
        "/api/gate/overrides/",
        {"service": "checkout", "reason": "Fix for INC-1", "hours": 4},
    )

    assert response.status_code == 201
    assert response.json()["active"] is True
    override = FreezeOverride.objects.get()
    assert override.created_by == admin_user
    assert override.expires_at - override.created_at == timedelta(hours=4)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "checkout", "reason": "", "hours": 4}, "reason"),
        ({"service": "checkout", "reason": "Fix", "hours": 1000}, "hours"),
        ({"service": "nope", "reason": "Fix", "hours": 4}, "service"),
    ],
)
def test_an_override_needs_a_reason_a_known_service_and_a_limited_time(
    admin_user, slo, body, field
):
    response = client_for(admin_user).post("/api/gate/overrides/", body)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not FreezeOverride.objects.exists()


def test_responders_cannot_override_a_freeze(responder, slo):
    response = client_for(responder).post(
        "/api/gate/overrides/", {"service": "checkout", "reason": "x", "hours": 1}
    )

    assert response.status_code == 403
    assert not FreezeOverride.objects.exists()


def test_integrations_may_ask_the_gate_but_not_override(api, slo):
    response = api.post(
        "/api/gate/overrides/", {"service": "checkout", "reason": "x", "hours": 1}
    )

    assert response.status_code == 403
    answer = api.get(GATE, {"service": "checkout", "environment": "production"})
    assert answer.status_code == 200


def test_the_gate_answers_in_a_fixed_number_of_queries(
    api, slo, outage, django_assert_max_num_queries
):
    SLO.objects.create(service=slo.service, name="latency", target_percent=99)

    with django_assert_max_num_queries(8):
        response = api.get(GATE, {"service": "checkout", "environment": "production"})

    assert len(response.json()["slos"]) == 2


def test_an_override_is_written_to_the_audit_trail(admin_user, slo, outage):
    client_for(admin_user).post(
        "/api/gate/overrides/",
        {"service": "checkout", "reason": "Fix for INC-1", "hours": 4},
    )

    event = AuditEvent.objects.get(action=AuditEvent.Action.FREEZE_OVERRIDE)
    assert event.actor == admin_user
    assert event.target == "checkout"
    assert event.detail["reason"] == "Fix for INC-1"
