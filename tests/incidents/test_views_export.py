import csv
import io

from django.urls import reverse

from accounts.models import Profile
from incidents.models import Incident

from ..factories import at, make_deployment, make_incident, make_service, make_user

EXPORT = reverse("incidents:export")


def _rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_writes_times_in_utc_iso_8601_whatever_the_viewers_zone(
    viewer_client, viewer
):
    Profile.objects.create(user=viewer, time_zone="America/New_York")
    service = make_service("checkout")
    deployment = make_deployment(service, finished_at=at(2025, 6, 1, 8))
    incident = make_incident(
        [service],
        title="Checkout 502",
        severity="SEV1",
        started_at=at(2025, 6, 1, 9, 30),
        detected_at=at(2025, 6, 1, 9, 35, 12),
        mitigated_at=at(2025, 6, 1, 10),
        resolved_at=at(2025, 6, 1, 11, 15),
        commander=make_user("cora"),
        caused_by=deployment,
        cause_source=Incident.CauseSource.PERSON,
        impact_percent=12.5,
    )

    response = _rows(viewer_client.get(EXPORT))

    assert response == [
        {
            "key": incident.key,
            "title": "Checkout 502",
            "severity": "SEV1",
            "status": "resolved",
            "services": "checkout",
            "started_at": "2025-06-01T09:30:00Z",
            "detected_at": "2025-06-01T09:35:12Z",
            "acknowledged_at": "",
            "mitigated_at": "2025-06-01T10:00:00Z",
            "resolved_at": "2025-06-01T11:15:00Z",
            "commander": "cora",
            "impact_percent": "12.5",
            "caused_by_deployment": str(deployment.pk),
            "cause_source": "person",
            "source": "manual",
        }
    ]


def test_the_export_follows_the_lists_filters_and_order(viewer_client):
    first = make_incident(severity="SEV1", started_at=at(2025, 1, 2))
    second = make_incident(severity="SEV1", started_at=at(2025, 1, 1))
    make_incident(severity="SEV4")

    response = viewer_client.get(EXPORT, {"severity": "SEV1"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert [row["key"] for row in _rows(response)] == [first.key, second.key]


def test_a_title_that_looks_like_a_formula_is_defused(viewer_client):
    make_incident(title='=HYPERLINK("http://evil")')

    rows = _rows(viewer_client.get(EXPORT))

    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'


def test_a_bad_filter_gets_a_400_instead_of_a_file(viewer_client):
    response = viewer_client.get(EXPORT, {"started_from": "yesterday"})

    assert response.status_code == 400
    assert "started_from" in response.context["filters"].form.errors


def test_a_last_day_at_the_end_of_the_calendar_exports_everything(viewer_client):
    incident = make_incident(started_at=at(2025, 3, 1))

    response = viewer_client.get(EXPORT, {"started_to": "9999-12-31"})

    assert response.status_code == 200
    assert [row["key"] for row in _rows(response)] == [incident.key]
