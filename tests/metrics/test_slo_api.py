from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from metrics.models import SLO, SLIEvent
from tests.factories import make_service


@pytest.fixture
def checkout(db):
    return make_service("checkout")


@pytest.fixture
def slo(checkout):
    return SLO.objects.create(
        service=checkout, name="availability", target_percent=Decimal("99.9")
    )


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_responder_creates_an_slo(responder, checkout):
    response = client_for(responder).post(
        "/api/slos/",
        {"service": "checkout", "name": "latency", "target_percent": "99.5"},
    )

    assert response.status_code == 201
    assert response.json()["window_days"] == 30
    assert response.json()["freeze_threshold"] == "0.500"
    assert SLO.objects.get().name == "latency"


def test_an_slo_for_an_unknown_service_is_a_400(responder, db):
    response = client_for(responder).post(
        "/api/slos/", {"service": "nope", "name": "x", "target_percent": "99"}
    )

    assert response.status_code == 400
    assert "service" in response.json()["error"]["fields"]
    assert not SLO.objects.exists()


def test_a_duplicate_name_is_a_400_on_the_name(responder, slo):
    response = client_for(responder).post(
        "/api/slos/",
        {"service": "checkout", "name": "availability", "target_percent": "99"},
    )

    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_viewers_read_slos_with_their_budget_but_cannot_write(viewer, slo):
    client = client_for(viewer)

    listing = client.get("/api/slos/")
    detail = client.get(f"/api/slos/{slo.pk}/")
    refused = client.patch(f"/api/slos/{slo.pk}/", {"window_days": 7})

    assert listing.status_code == 200
    assert listing.json()["results"][0]["name"] == "availability"
    assert detail.json()["budget"]["budget_minutes"] == 43.2
    assert refused.status_code == 403
    slo.refresh_from_db()
    assert slo.window_days == 30


def test_a_team_reports_measured_events(api, slo):
    response = api.post(
        f"/api/slos/{slo.pk}/events/",
        {
            "good": 990,
            "total": 1000,
            "start": "2025-06-29T10:00:00Z",
            "end": "2025-06-29T11:00:00+00:00",
        },
    )

    assert response.status_code == 201
    event = SLIEvent.objects.get()
    assert (event.good, event.total) == (990, 1000)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"good": 5, "total": 4}, "good"),
        ({"good": 1, "total": 0}, "total"),
        ({"start": "2025-06-29T12:00:00Z"}, "end"),
        ({"start": "2025-06-29T10:00:00"}, "start"),
        ({"good": -1}, "good"),
        ({"good": 2**63, "total": 2**63}, "total"),
    ],
)
def test_bad_event_reports_are_refused_with_the_field_named(api, slo, body, field):
    report = {
        "good": 990,
        "total": 1000,
        "start": "2025-06-29T10:00:00Z",
        "end": "2025-06-29T11:00:00Z",
        **body,
    }

    response = api.post(f"/api/slos/{slo.pk}/events/", report)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not SLIEvent.objects.exists()


def test_overlapping_event_reports_are_refused(api, slo):
    first = {"good": 9, "total": 10, "start": "2025-06-29T10:00:00Z"}
    api.post(f"/api/slos/{slo.pk}/events/", {**first, "end": "2025-06-29T11:00:00Z"})

    response = api.post(
        f"/api/slos/{slo.pk}/events/",
        {**first, "start": "2025-06-29T10:30:00Z", "end": "2025-06-29T11:30:00Z"},
    )

    assert response.status_code == 400
    assert "overlap" in response.json()["error"]["message"]
    assert SLIEvent.objects.count() == 1


def test_integrations_cannot_manage_slos(api, checkout):
    response = api.post(
        "/api/slos/", {"service": "checkout", "name": "x", "target_percent": "99"}
    )

    assert response.status_code == 403
    assert not SLO.objects.exists()


def test_the_slo_list_takes_a_fixed_number_of_queries(
    viewer, checkout, django_assert_num_queries
):
    for index in range(5):
        SLO.objects.create(
            service=make_service(f"s{index}"), name="a", target_percent=99
        )
    client = client_for(viewer)

    with django_assert_num_queries(3):  # groups of the viewer, count, page
        response = client.get("/api/slos/")

    assert response.json()["count"] == 5
