"""Declaring, editing and correcting times through the pages' forms."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile, Role
from incidents.models import Incident, TimelineEntry

from ..factories import at, make_incident, make_service, make_user

DECLARE = reverse("incidents:declare")
Kind = TimelineEntry.Kind


@pytest.fixture
def berlin_responder(responder_client, responder):
    Profile.objects.create(user=responder, time_zone="Europe/Berlin")
    return responder_client


@pytest.fixture
def tokyo_responder(responder_client, responder):
    Profile.objects.create(user=responder, time_zone="Asia/Tokyo")
    return responder_client


def test_declaring_needs_only_title_severity_and_services(responder_client):
    service = make_service("checkout")
    before = timezone.now()

    response = responder_client.post(
        DECLARE, {"title": "Checkout down", "severity": "SEV1", "services": service.pk}
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/INC-{incident.pk}/"
    assert incident.status == Incident.Status.INVESTIGATING
    assert before <= incident.started_at <= timezone.now()
    assert incident.impact_percent == 100
    assert list(incident.services.all()) == [service]
    assert incident.timeline.get().kind == Kind.STATUS_CHANGE


def test_declaring_without_the_required_fields_names_each_and_stores_nothing(
    responder_client,
):
    response = responder_client.post(DECLARE, {"title": ""})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "severity", "services"}
    assert not Incident.objects.exists()


def test_an_empty_declare_post_names_the_required_fields_and_stores_nothing(
    responder_client,
):
    response = responder_client.post(DECLARE, {})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "severity", "services"}
    assert not Incident.objects.exists()


def test_an_earlier_impact_start_is_read_in_the_persons_zone(berlin_responder):
    service = make_service("checkout")
    cora = make_user("cora", Role.RESPONDER)

    berlin_responder.post(
        DECLARE,
        {
            "title": "Slow",
            "severity": "SEV3",
            "services": service.pk,
            "started_at": "2025-07-01T10:00",
            "commander": "cora",
            "impact_percent": "5",
        },
    )

    incident = Incident.objects.get()
    # Berlin is UTC+2 in July.
    assert incident.started_at == at(2025, 7, 1, 8)
    assert incident.commander == cora
    assert incident.impact_percent == Decimal("5")


def test_an_impact_start_in_the_future_is_refused(responder_client):
    service = make_service("checkout")
    later = timezone.localtime() + timedelta(hours=2)

    response = responder_client.post(
        DECLARE,
        {
            "title": "Soon",
            "severity": "SEV3",
            "services": service.pk,
            "started_at": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 400
    assert "started_at" in response.context["form"].errors
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "local", ["0001-01-01T00:00", "1000-01-01T00:00", "1989-12-31T23:59"]
)
def test_an_impact_start_before_1990_is_an_error_on_its_field(tokyo_responder, local):
    # 0001-01-01 in Tokyo is before the first instant UTC can hold.
    service = make_service("checkout")

    response = tokyo_responder.post(
        DECLARE,
        {
            "title": "Ancient",
            "severity": "SEV3",
            "services": service.pk,
            "started_at": local,
        },
    )

    assert response.status_code == 400
    assert "started_at" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_declaring_with_a_service_id_too_large_for_the_column_is_a_field_error(
    responder_client,
):
    make_service("checkout")

    response = responder_client.post(
        DECLARE, {"title": "Big", "severity": "SEV3", "services": str(10**30)}
    )

    assert response.status_code == 400
    assert "services" in response.context["form"].errors
    assert not Incident.objects.exists()


def _times(incident, **values):
    return {
        "started_at": "2025-03-30T01:00",
        "detected_at": "",
        "acknowledged_at": "",
        "mitigated_at": "",
        "resolved_at": "",
        **values,
    }


def test_times_across_the_spring_dst_change_keep_their_real_distance(
    berlin_responder,
):
    # Berlin skips 02:00-03:00 on 30 March 2025: 01:30 CET to 03:30 CEST is 1 hour.
    incident = make_incident(
        started_at=at(2025, 3, 30, 0), resolved_at=at(2025, 3, 30, 4)
    )
    url = reverse("incidents:times", args=[incident.key])

    response = berlin_responder.post(
        url,
        _times(
            incident,
            started_at="2025-03-30T01:30",
            mitigated_at="2025-03-30T03:00",
            resolved_at="2025-03-30T03:30",
        ),
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.started_at == at(2025, 3, 30, 0, 30)
    assert incident.resolved_at == at(2025, 3, 30, 1, 30)
    assert incident.resolved_at - incident.started_at == timedelta(hours=1)
    corrections = incident.timeline.filter(kind=Kind.TIME_CORRECTION)
    assert sorted(e.data["field"] for e in corrections) == [
        "mitigated_at",
        "resolved_at",
        "started_at",
    ]


def test_times_across_the_autumn_dst_change_keep_their_real_distance(
    berlin_responder,
):
    # On 26 October 2025 Berlin repeats 02:00-03:00: 01:30 CEST to 03:30 CET is 3 h.
    incident = make_incident(
        started_at=at(2025, 10, 25, 23), resolved_at=at(2025, 10, 26, 6)
    )
    url = reverse("incidents:times", args=[incident.key])

    berlin_responder.post(
        url,
        _times(
            incident,
            started_at="2025-10-26T01:30",
            resolved_at="2025-10-26T03:30",
        ),
    )

    incident.refresh_from_db()
    assert incident.started_at == at(2025, 10, 25, 23, 30)
    assert incident.resolved_at - incident.started_at == timedelta(hours=3)


@pytest.mark.parametrize(
    "local", ["2025-03-30T02:30", "2025-10-26T02:30"], ids=["skipped", "repeated"]
)
def test_a_wall_time_that_does_not_exist_once_is_an_error_on_its_field(
    berlin_responder, local
):
    incident = make_incident(started_at=at(2025, 3, 1))

    response = berlin_responder.post(
        reverse("incidents:times", args=[incident.key]),
        _times(incident, started_at="2025-03-01T10:00", resolved_at=local),
    )

    assert response.status_code == 400
    assert "resolved_at" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert not incident.timeline.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"detected_at": "2025-03-30T00:59"}, "detected_at"),
        ({"acknowledged_at": "2025-03-29T23:00"}, "acknowledged_at"),
        ({"mitigated_at": "2025-03-30T00:00"}, "mitigated_at"),
        (
            {"mitigated_at": "2025-03-30T05:00", "resolved_at": "2025-03-30T04:00"},
            "resolved_at",
        ),
    ],
)
def test_a_time_out_of_order_is_an_error_on_its_field_and_nothing_is_saved(
    berlin_responder, values, field
):
    incident = make_incident(started_at=at(2025, 3, 30, 0))

    response = berlin_responder.post(
        reverse("incidents:times", args=[incident.key]), _times(incident, **values)
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    incident.refresh_from_db()
    assert incident.started_at == at(2025, 3, 30, 0)
    assert not incident.timeline.exists()


@pytest.mark.parametrize("local", ["0001-01-01T05:00", "1000-01-01T00:00"])
def test_a_corrected_start_before_1990_is_an_error_and_nothing_is_saved(
    tokyo_responder, local
):
    incident = make_incident(started_at=at(2025, 3, 1))

    response = tokyo_responder.post(
        reverse("incidents:times", args=[incident.key]),
        _times(incident, started_at=local),
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["started_at"]
    incident.refresh_from_db()
    assert incident.started_at == at(2025, 3, 1)
    assert not incident.timeline.exists()


def test_a_corrected_time_in_the_future_is_an_error_and_nothing_is_saved(
    responder_client,
):
    incident = make_incident(started_at=at(2025, 3, 1))
    later = timezone.localtime() + timedelta(hours=2)

    response = responder_client.post(
        reverse("incidents:times", args=[incident.key]),
        _times(
            incident,
            started_at="2025-03-01T10:00",
            resolved_at=later.strftime("%Y-%m-%dT%H:%M"),
        ),
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["resolved_at"]
    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert not incident.timeline.exists()


def test_saving_the_times_unchanged_records_no_correction(berlin_responder):
    incident = make_incident(
        started_at=at(2025, 3, 30, 0, 0, 37), detected_at=at(2025, 3, 30, 0, 5, 12)
    )

    response = berlin_responder.post(
        reverse("incidents:times", args=[incident.key]),
        _times(incident, detected_at="2025-03-30T01:05"),
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.started_at == at(2025, 3, 30, 0, 0, 37)
    assert incident.detected_at == at(2025, 3, 30, 0, 5, 12)
    assert not incident.timeline.exists()


def test_the_times_form_shows_the_stored_times_in_the_persons_zone(berlin_responder):
    incident = make_incident(started_at=at(2025, 7, 1, 8, 15))

    html = berlin_responder.get(
        reverse("incidents:times", args=[incident.key])
    ).content.decode()

    assert 'value="2025-07-01T10:15"' in html


def test_each_edited_field_writes_its_own_timeline_entry(responder_client, responder):
    checkout, search = make_service("checkout"), make_service("search")
    cora = make_user("cora", Role.RESPONDER)
    incident = make_incident([checkout], title="Old", severity="SEV3")

    response = responder_client.post(
        reverse("incidents:edit", args=[incident.key]),
        {
            "title": "New",
            "summary": "",
            "severity": "SEV3",
            "impact_percent": "100",
            "commander": "cora",
            "communications_lead": "",
            "services": [checkout.pk, search.pk],
        },
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.commander) == ("New", cora)
    assert set(incident.services.values_list("slug", flat=True)) == {
        "checkout",
        "search",
    }
    fields = [e.data["field"] for e in incident.timeline.all()]
    assert sorted(fields) == ["commander", "services", "title"]
    assert all(e.author == responder for e in incident.timeline.all())


def test_an_edit_without_services_is_refused(responder_client):
    incident = make_incident(title="Old")

    response = responder_client.post(
        reverse("incidents:edit", args=[incident.key]),
        {"title": "New", "severity": "SEV2", "impact_percent": "100"},
    )

    assert response.status_code == 400
    assert "services" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.title == "Old"


def test_an_edit_with_a_service_id_too_large_for_the_column_is_a_field_error(
    responder_client,
):
    incident = make_incident(title="Old")

    response = responder_client.post(
        reverse("incidents:edit", args=[incident.key]),
        {
            "title": "New",
            "severity": "SEV2",
            "impact_percent": "100",
            "services": str(10**30),
        },
    )

    assert response.status_code == 400
    assert "services" in response.context["form"].errors
    incident.refresh_from_db()
    assert incident.title == "Old"
