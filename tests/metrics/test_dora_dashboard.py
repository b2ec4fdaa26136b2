"""The metrics page and the records behind its numbers."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Profile
from incidents.models import Deployment
from incidents.signals import record_changed
from tests.factories import at, make_deployment, make_incident, make_service

pytestmark = pytest.mark.django_db
WINDOW = {"start": "2025-03-03", "end": "2025-03-16", "days": ""}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def records_url(kind, **params):
    query = {"start": "2025-03-03T00:00:00Z", "end": "2025-03-17T00:00:00Z", **params}
    return f"/metrics/records/{kind}/?{urlencode(query)}"


def test_the_page_shows_every_key_with_band_year_and_sample(viewer_client):
    service = make_service()
    make_deployment(service, finished_at=timezone.now() - timedelta(days=2))

    response = viewer_client.get("/metrics/")

    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "Deployment frequency",
        "Lead time for changes",
        "Change failure rate",
        "Failed deployment recovery time",
        "Time to restore service",
        "Deployment rework rate",
    ):
        assert title in page
    assert "DORA 2023" in page
    assert "1 deployment" in page
    assert "1 deployments" not in page
    assert "<svg" in page
    assert "What this measures" in page


def test_a_custom_window_uses_whole_local_days(viewer_client):
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 16, 23))
    make_deployment(service, finished_at=at(2025, 3, 17, 0))

    response = viewer_client.get("/metrics/", WINDOW)

    assert response.status_code == 200
    assert response.context["report"]["deployment_frequency"]["count"] == 1
    assert response.context["report"]["window"]["end"] == "2025-03-17T00:00:00Z"


def test_custom_dates_are_whole_days_in_the_viewers_zone(viewer_client, viewer):
    Profile.objects.create(user=viewer, time_zone="America/New_York")

    response = viewer_client.get("/metrics/", WINDOW)

    window = response.context["report"]["window"]
    assert (window["start"], window["end"]) == (
        "2025-03-03T05:00:00Z",
        "2025-03-17T04:00:00Z",
    )


@pytest.mark.parametrize(
    "params",
    [
        {"end": "9999-12-31"},
        {"end": "0001-01-01"},
        {"start": "0001-01-01", "end": "2025-03-16"},
        {"days": "\u00b2"},
    ],
)
def test_dates_off_the_calendar_are_a_400_not_an_error(viewer_client, params):
    for url in ("/metrics/", "/metrics/records/failures/"):
        response = viewer_client.get(url, params)

        assert response.status_code == 400, url


def test_the_page_names_the_benchmark_year_chosen(viewer_client):
    response = viewer_client.get("/metrics/", {"benchmark": "2024"})

    assert response.status_code == 200
    assert response.context["report"]["benchmark_year"] == 2024
    assert "DORA 2024" in response.content.decode()


def test_bad_filters_answer_400_with_the_field(viewer_client):
    response = viewer_client.get("/metrics/", {"service": "nope"})

    assert response.status_code == 400
    assert "service: There is no service" in response.content.decode()


def test_a_new_deployment_shows_despite_the_cache(viewer_client):
    service = make_service()
    first = viewer_client.get("/metrics/", {"days": "7"})
    make_deployment(service, finished_at=timezone.now() - timedelta(hours=1))
    record_changed.send(sender=None, kind="deployment", ids=[1])

    second = viewer_client.get("/metrics/", {"days": "7"})

    assert first.context["report"]["deployment_frequency"]["count"] == 0
    assert second.context["report"]["deployment_frequency"]["count"] == 1


def test_anonymous_visitors_are_sent_to_log_in_and_outsiders_refused(client, outsider):
    assert client.get("/metrics/").status_code == 302
    client.force_login(outsider)
    assert client.get("/metrics/").status_code == 403


def test_failed_deployments_are_listed_with_their_reasons(viewer_client):
    service = make_service()
    bad = make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(service, finished_at=at(2025, 3, 4, 11), rollback_of=bad)
    failed = make_deployment(
        service, finished_at=at(2025, 3, 5, 10), status=Deployment.Status.FAILURE
    )
    incident = make_incident([service], started_at=at(2025, 3, 5, 12))

    response = viewer_client.get(records_url("failures"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["deployment"] for row in rows] == [failed, bad]
    assert [r["text"] for r in rows[1]["reasons"]] == [
        f"rolled back by deployment #{bad.pk + 1}"
    ]
    assert rows[0]["reasons"][0]["text"] == "the deployment failed"
    assert rows[0]["recovered_at"] is None
    assert rows[1]["recovery_seconds"] == 3600
    # The incident's inferred cause is the rollback, the latest completed one.
    assert incident.key not in response.content.decode()


def test_slowest_commits_come_first(viewer_client):
    service = make_service()
    make_deployment(
        service,
        finished_at=at(2025, 3, 4, 10),
        commits=[("fast", at(2025, 3, 4, 9)), ("slow", at(2025, 3, 1, 10))],
    )

    response = viewer_client.get(records_url("commits"))

    assert response.status_code == 200
    assert [row["commit"].sha for row in response.context["rows"]] == ["slow", "fast"]
    assert response.context["rows"][0]["lead"] == "3 d"


def test_incidents_are_listed_with_their_time_to_restore(viewer_client):
    service = make_service()
    incident = make_incident(
        [service], started_at=at(2025, 3, 4, 10), resolved_at=at(2025, 3, 4, 12)
    )

    response = viewer_client.get(records_url("incidents"))

    assert response.status_code == 200
    assert response.context["rows"][0]["incident"] == incident
    assert response.context["rows"][0]["restore"] == "2 h"
    assert incident.key in response.content.decode()


@pytest.mark.parametrize("kind", ["deployments", "recovery", "rework"])
def test_every_list_of_records_renders(viewer_client, kind):
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 4, 10), is_hotfix=True)

    response = viewer_client.get(records_url(kind, service="checkout"))

    assert response.status_code == 200


def test_an_unknown_list_of_records_is_not_found(viewer_client):
    assert viewer_client.get(records_url("nonsense")).status_code == 404


def test_records_refuse_a_time_without_zone(viewer_client):
    response = viewer_client.get(records_url("deployments", end="2025-03-17T00:00"))

    assert response.status_code == 400


def test_an_inferred_cause_is_given_as_the_reason_with_its_incident(viewer_client):
    service = make_service()
    deployment = make_deployment(service, finished_at=at(2025, 3, 4, 10))
    incident = make_incident(
        [service], started_at=at(2025, 3, 4, 11), resolved_at=at(2025, 3, 4, 12)
    )

    response = viewer_client.get(records_url("recovery"))

    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row["deployment"] == deployment
    assert row["reasons"][0]["incident"] == incident
    assert row["reasons"][0]["text"].startswith(
        f"inferred cause of {incident.key} (the latest production deployment"
    )
    assert "within 1 d before it began" in row["reasons"][0]["text"]
    assert row["recovery"] == "2 h"


def test_records_name_no_restricted_incident_to_those_who_may_not_see_it(
    viewer_client, admin_client
):
    service = make_service()
    deployment = make_deployment(service, finished_at=at(2025, 3, 4, 10))
    secret = make_incident(
        [service],
        title="Credential leak",
        started_at=at(2025, 3, 4, 11),
        resolved_at=at(2025, 3, 4, 12),
        is_restricted=True,
    )
    named = make_incident(
        [service], started_at=at(2025, 3, 6), caused_by=deployment, is_restricted=True
    )

    pages = [viewer_client.get(records_url(k)) for k in ("failures", "incidents")]

    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        assert "Credential leak" not in text
        assert secret.key not in text and named.key not in text
    reasons = [r["text"] for r in pages[0].context["rows"][0]["reasons"]]
    assert reasons == [
        "caused a restricted incident",
        "inferred cause of a restricted incident",
    ]
    # Still counted: the restore time stands, without the incident.
    assert pages[1].context["rows"][0]["incident"] is None
    assert pages[1].context["rows"][0]["restore"] == "1 h"
    assert "Credential leak" in admin_client.get(records_url("incidents")).text
