from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.models import SLO, FreezeOverride
from tests.factories import make_incident, make_service


@pytest.fixture
def checkout(db):
    return make_service("checkout")


@pytest.fixture
def frozen_slo(checkout):
    slo = SLO.objects.create(
        service=checkout, name="availability", target_percent=Decimal("99.9")
    )
    start = timezone.now() - timedelta(days=2)
    make_incident(
        [checkout], started_at=start, resolved_at=start + timedelta(minutes=30)
    )
    return slo


def test_the_service_page_shows_budget_burn_rate_freeze_and_chart(
    viewer_client, frozen_slo
):
    response = viewer_client.get("/services/checkout/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "SLOs and error budget" in html
    assert "43.2 min" in html  # budget
    assert "-13.2 min" not in html
    assert "13.2 min" in html  # remaining
    assert "Frozen" in html
    assert "<svg" in html and "<polyline" in html
    assert "Override the freeze" not in html  # viewers cannot override
    assert "Edit this SLO" not in html


def test_admins_see_the_override_form_on_a_frozen_service(
    client, admin_user, frozen_slo
):
    client.force_login(admin_user)

    html = client.get("/services/checkout/").content.decode()

    assert "Override the freeze" in html
    assert "Edit this SLO" in html


def test_an_admin_overrides_a_freeze_from_the_page(client, admin_user, frozen_slo):
    client.force_login(admin_user)

    response = client.post(
        "/metrics/services/checkout/override/",
        {"reason": "Ship the fix", "hours": "2"},
    )

    assert response.status_code == 302
    override = FreezeOverride.objects.get()
    assert override.reason == "Ship the fix"
    assert override.created_by == admin_user
    page = client.get("/services/checkout/").content.decode()
    assert "Freeze overridden by ada" in page


def test_an_override_without_a_reason_answers_400_with_the_error_on_the_field(
    client, admin_user, frozen_slo
):
    client.force_login(admin_user)

    response = client.post(
        "/metrics/services/checkout/override/", {"reason": "", "hours": "2"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["override_form"].errors) == {"reason"}
    assert '<div class="field has-error" id="field-reason">' in html
    reason = html.split('id="field-reason"', 1)[1].split('id="field-hours"', 1)[0]
    assert "This field is required." in reason
    assert not FreezeOverride.objects.exists()


def test_a_refused_override_keeps_the_reason_as_typed(client, admin_user, frozen_slo):
    client.force_login(admin_user)

    response = client.post(
        "/metrics/services/checkout/override/",
        {"reason": "Shipping the fix for INC-1", "hours": "500"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["override_form"].errors) == {"hours"}
    assert "Shipping the fix for INC-1</textarea>" in html
    assert "The freeze was not overridden" in html
    assert not FreezeOverride.objects.exists()


@pytest.mark.parametrize("persona", ["viewer", "responder"])
def test_people_below_admin_cannot_override_a_freeze(
    client, request, persona, frozen_slo
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        "/metrics/services/checkout/override/", {"reason": "x", "hours": "2"}
    )

    assert response.status_code == 403
    assert not FreezeOverride.objects.exists()


def test_a_responder_creates_an_slo_in_the_browser(responder_client, checkout):
    response = responder_client.post(
        "/metrics/slos/new/",
        {
            "service": "checkout",
            "name": "latency",
            "target_percent": "99.5",
            "window_days": "28",
            "freeze_threshold": "0.5",
        },
    )

    assert response.status_code == 302
    slo = SLO.objects.get()
    assert (slo.name, slo.target_percent, slo.window_days) == (
        "latency",
        Decimal("99.5"),
        28,
    )


def test_a_duplicate_slo_name_is_an_error_on_the_field(responder_client, frozen_slo):
    response = responder_client.post(
        "/metrics/slos/new/",
        {
            "service": "checkout",
            "name": "availability",
            "target_percent": "99",
            "window_days": "30",
            "freeze_threshold": "0.5",
        },
    )

    assert response.status_code == 400
    assert "already exists" in str(response.context["form"].errors)
    assert SLO.objects.count() == 1


def test_a_target_above_100_is_refused(responder_client, checkout):
    response = responder_client.post(
        "/metrics/slos/new/",
        {
            "service": "checkout",
            "name": "x",
            "target_percent": "100.5",
            "window_days": "30",
            "freeze_threshold": "0.5",
        },
    )

    assert response.status_code == 400
    assert "target_percent" in response.context["form"].errors
    assert not SLO.objects.exists()


def test_viewers_cannot_create_slos(viewer_client, checkout):
    response = viewer_client.post(
        "/metrics/slos/new/",
        {"service": "checkout", "name": "x", "target_percent": "99"},
    )

    assert response.status_code == 403
    assert not SLO.objects.exists()


def test_a_responder_edits_and_deletes_an_slo(responder_client, frozen_slo):
    response = responder_client.post(
        f"/metrics/slos/{frozen_slo.pk}/edit/",
        {
            "service": "checkout",
            "name": "availability",
            "target_percent": "99",
            "window_days": "7",
            "freeze_threshold": "0.8",
        },
    )
    assert response.status_code == 302
    frozen_slo.refresh_from_db()
    assert frozen_slo.window_days == 7

    response = responder_client.post(f"/metrics/slos/{frozen_slo.pk}/delete/")

    assert response.status_code == 302
    assert not SLO.objects.exists()


def test_a_refused_slo_edit_answers_400_and_changes_nothing(
    responder_client, frozen_slo
):
    response = responder_client.post(
        f"/metrics/slos/{frozen_slo.pk}/edit/",
        {
            "service": "checkout",
            "name": "availability",
            "target_percent": "99",
            "window_days": "0",
            "freeze_threshold": "0.8",
        },
    )

    assert response.status_code == 400
    assert "window_days" in response.context["form"].errors
    frozen_slo.refresh_from_db()
    assert frozen_slo.window_days != 0


def test_the_slo_list_shows_every_slo_with_its_state(viewer_client, frozen_slo):
    SLO.objects.create(service=make_service("search"), name="avail", target_percent=99)

    response = viewer_client.get("/metrics/slos/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "checkout" in html and "search" in html
    assert "frozen" in html


def test_the_slo_list_queries_do_not_grow_with_the_number_of_slos(
    viewer_client, frozen_slo
):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            viewer_client.get("/metrics/slos/")
        return len(queries)

    viewer_client.get("/metrics/slos/")  # settle the session
    few = count_queries()
    for index in range(5):
        service = make_service(f"svc-{index}")
        SLO.objects.create(service=service, name="avail", target_percent=99)
        make_incident([service], started_at=timezone.now() - timedelta(hours=2))

    assert count_queries() == few


def test_viewers_see_the_slo_list_without_management_links(viewer_client, frozen_slo):
    html = viewer_client.get("/metrics/slos/").content.decode()

    assert "availability" in html
    assert "Add an SLO" not in html
    assert f"/metrics/slos/{frozen_slo.pk}/edit/" not in html
