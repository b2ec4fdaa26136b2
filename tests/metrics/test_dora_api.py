"""GET /api/metrics/dora/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Deployment
from tests.factories import at, make_deployment, make_service, make_team, make_token

URL = "/api/metrics/dora/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


def test_the_report_has_every_figure_with_its_sample_size(viewer_api):
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(
        service, finished_at=at(2025, 3, 5, 10), status=Deployment.Status.FAILURE
    )

    response = viewer_api.get(
        URL, {"start": "2025-03-03T00:00:00Z", "end": "2025-03-17T00:00:00+00:00"}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "deployment_frequency",
        "lead_time",
        "change_failure_rate",
        "failed_deployment_recovery_time",
        "time_to_restore",
        "rework_rate",
        "window",
        "benchmark_year",
        "definition_version",
    }
    assert body["deployment_frequency"]["count"] == 1
    assert body["change_failure_rate"] == {
        "value": 0.5,
        "failed": 1,
        "total": 2,
        "band": "low",
    }
    assert body["failed_deployment_recovery_time"]["open"] == 1
    assert body["lead_time"] == {
        "median_seconds": None,
        "p90_seconds": None,
        "count": 0,
        "excluded_negative": 0,
        "band": None,
    }
    assert body["window"]["start"] == "2025-03-03T00:00:00Z"
    assert body["window"]["end"] == "2025-03-17T00:00:00Z"
    assert body["benchmark_year"] == 2023


def test_the_window_defaults_to_the_last_30_days(viewer_api):
    service = make_service()
    make_deployment(service, finished_at=timezone.now() - timedelta(days=29))
    make_deployment(service, finished_at=timezone.now() - timedelta(days=31))

    body = viewer_api.get(URL).json()

    assert body["deployment_frequency"]["count"] == 1
    assert body["window"]["days"] == pytest.approx(30)


def test_filters_and_benchmark_are_applied(viewer_api):
    team = make_team("payments")
    make_deployment(make_service("checkout", team=team), finished_at=at(2025, 3, 4))
    make_deployment(make_service("search"), finished_at=at(2025, 3, 4))
    window = {"start": "2025-03-03T00:00:00Z", "end": "2025-03-17T00:00:00Z"}

    by_team = viewer_api.get(URL, {**window, "team": "payments"}).json()
    by_service = viewer_api.get(URL, {**window, "service": "search"}).json()
    year_2024 = viewer_api.get(URL, {**window, "benchmark": "2024"}).json()

    assert by_team["deployment_frequency"]["count"] == 1
    assert by_service["deployment_frequency"]["count"] == 1
    assert year_2024["benchmark_year"] == 2024


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2025-03-03T00:00:00"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2025-03-10T00:00:00Z", "end": "2025-03-03T00:00:00Z"}, "end"),
        ({"service": "nope"}, "service"),
        ({"team": "nope"}, "team"),
        ({"benchmark": "1999"}, "benchmark"),
        ({"benchmark": "soon"}, "benchmark"),
        ({"days": "-3"}, "days"),
        ({"days": "\u00b2"}, "days"),
        ({"benchmark": "\u00b2"}, "benchmark"),
        ({"end": "9999-12-31T23:59:59Z"}, "end"),
        ({"end": "0001-01-01T00:00:00Z"}, "end"),
        ({"start": "0001-01-01T00:00:00Z"}, "start"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(viewer_api, params, field):
    response = viewer_api.get(URL, params)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_anonymous_callers_and_integration_tokens_are_refused(client, api):
    assert client.get(URL).status_code in (401, 403)
    assert api.get(URL).status_code == 403


def test_repeated_calls_share_one_computation_until_the_record_changes(
    viewer_api, monkeypatch, django_capture_on_commit_callbacks
):
    from metrics import api

    calls = []
    real = api.dora_report
    monkeypatch.setattr(api, "dora_report", lambda **kw: calls.append(1) or real(**kw))
    params = {"start": "2025-03-03T00:00:00Z", "end": "2025-03-17T00:00:00Z"}
    first = viewer_api.get(URL, params).json()

    second = viewer_api.get(URL, params).json()
    assert second == first and len(calls) == 1

    token = make_token("ci")
    ci = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    with django_capture_on_commit_callbacks(execute=True):
        ci.post(
            "/api/deployments/",
            {
                "service": "checkout",
                "environment": "production",
                "status": "success",
                "finished_at": "2025-03-04T10:00:00Z",
            },
            format="json",
        )
    third = viewer_api.get(URL, params).json()
    assert third["deployment_frequency"]["count"] == 1
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({}, {"end": "2025-03-17T00:00:00Z"}),
        ({"end": "2025-03-17T00:00:00Z"}, {}),
        (
            {"days": "7", "end": "2025-06-08T00:00:00Z"},
            {"days": "7", "end": "2025-03-08T00:00:00Z"},
        ),
    ],
    ids=["default-then-end", "end-then-default", "two-ends"],
)
def test_a_given_end_is_never_answered_from_another_windows_cache(
    viewer_api, first, second
):
    make_deployment(make_service(), finished_at=at(2025, 3, 5, 10))
    viewer_api.get(URL, first)

    body = viewer_api.get(URL, second).json()

    expected_end = second.get("end", None)
    if expected_end:
        assert body["window"]["end"] == expected_end
        assert body["deployment_frequency"]["count"] == 1
    else:
        assert body["deployment_frequency"]["count"] == 0
