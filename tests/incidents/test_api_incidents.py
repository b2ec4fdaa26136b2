import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from incidents.models import Incident, TimelineEntry

from ..factories import (
    at,
    make_deployment,
    make_incident,
    make_note,
    make_service,
    make_token,
)

URL = "/api/incidents/"


@pytest.fixture
def responder_api(responder):
    client = APIClient()
    client.force_authenticate(responder)
    return client


@pytest.fixture
def viewer_api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


def new_incident(**overrides):
    body = {
        "title": "Checkout errors",
        "severity": "SEV2",
        "services": ["checkout"],
        "started_at": "2025-05-02T10:00:00+02:00",
    }
    body.update(overrides)
    return body


def test_posting_an_incident_answers_with_its_id_and_key(responder_api):
    make_service("checkout")

    response = responder_api.post(URL, new_incident(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["key"] == f"INC-{body['id']}"
    assert body["started_at"] == "2025-05-02T08:00:00Z"
    assert body["services"] == ["checkout"]
    incident = Incident.objects.get(pk=body["id"])
    assert incident.source == Incident.Source.API
    assert incident.timeline.filter(kind=TimelineEntry.Kind.STATUS_CHANGE).exists()


def test_a_responder_token_may_open_incidents(db):
    make_service("checkout")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('bot', Role.RESPONDER)}")

    response = client.post(URL, new_incident(), format="json")

    assert response.status_code == 201


def test_an_incident_posted_resolved_carries_its_times(responder_api):
    make_service("checkout")

    response = responder_api.post(
        URL,
        new_incident(
            status="resolved",
            detected_at="2025-05-02T08:05:00Z",
            mitigated_at="2025-05-02T08:30:00Z",
            resolved_at="2025-05-02T09:00:00Z",
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_at == at(2025, 5, 2, 9)
    assert incident.mitigated_at == at(2025, 5, 2, 8, 30)


def test_a_cause_can_be_named_when_posting(responder_api):
    deployment = make_deployment(make_service("checkout"))

    response = responder_api.post(
        URL, new_incident(caused_by=deployment.pk), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["caused_by"] == deployment.pk
    assert response.json()["cause_source"] == Incident.CauseSource.API


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("severity", "SEV9"),
        ("services", []),
        ("services", ["no-such-service"]),
        ("started_at", "2025-05-02T10:00:00"),
        ("title", "   "),
        ("impact_percent", 101),
        ("detected_at", "2025-05-01T00:00:00Z"),
    ],
)
def test_bad_incidents_are_a_400_naming_the_field(responder_api, field, value):
    make_service("checkout")

    response = responder_api.post(URL, new_incident(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Incident.objects.count() == 0


def test_a_cause_of_an_unaffected_service_is_refused_and_nothing_stored(
    responder_api,
):
    make_service("checkout")
    elsewhere = make_deployment(make_service("search"))

    response = responder_api.post(
        URL, new_incident(caused_by=elsewhere.pk), format="json"
    )

    assert response.status_code == 400
    assert "caused_by" in response.json()["error"]["fields"]
    assert Incident.objects.count() == 0


def test_patch_changes_fields_and_records_them_on_the_timeline(responder_api):
    incident = make_incident(started_at=at(2025, 5, 2, 8))

    response = responder_api.patch(
        f"{URL}{incident.pk}/",
        {"severity": "SEV1", "status": "resolved", "resolved_at": "2025-05-02T09:00Z"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.severity == "SEV1"
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_at == at(2025, 5, 2, 9)
    kinds = set(incident.timeline.values_list("kind", flat=True))
    assert {"field_change", "status_change"} <= kinds


def test_a_viewer_cannot_change_an_incident(viewer_api):
    incident = make_incident()

    response = viewer_api.patch(f"{URL}{incident.pk}/", {"title": "x"}, format="json")

    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title != "x"


def test_the_timeline_is_listed_oldest_first(viewer_api):
    incident = make_incident(started_at=at(2025, 5, 2, 8))
    make_note(incident, "later", occurred_at=at(2025, 5, 2, 9))
    make_note(incident, "earlier", occurred_at=at(2025, 5, 2, 8, 30))

    response = viewer_api.get(f"{URL}{incident.pk}/timeline/")

    assert response.status_code == 200
    assert [e["body"] for e in response.json()["results"]] == ["earlier", "later"]


def test_a_note_posted_to_the_timeline_is_rendered_and_attributed(
    responder_api, responder
):
    incident = make_incident()

    response = responder_api.post(
        f"{URL}{incident.pk}/timeline/",
        {"body": "Rolled back **v2**", "tag": "repair"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "note"
    assert body["author"] == responder.username
    assert "<strong>v2</strong>" in body["body_html"]
    assert incident.timeline.get(pk=body["id"]).tag == "repair"


def test_an_empty_note_is_refused(responder_api):
    incident = make_incident()

    response = responder_api.post(
        f"{URL}{incident.pk}/timeline/", {"body": ""}, format="json"
    )

    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


def test_a_note_longer_than_the_pages_allow_is_refused(responder_api):
    incident = make_incident()

    response = responder_api.post(
        f"{URL}{incident.pk}/timeline/", {"body": "x" * 20_001}, format="json"
    )

    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]
    assert not incident.timeline.exists()


def test_incidents_are_filtered_by_service_and_openness(viewer_api):
    checkout, search = make_service("checkout"), make_service("search")
    wanted = make_incident([checkout])
    make_incident([checkout], resolved_at=at(2025, 1, 2))
    make_incident([search])

    response = viewer_api.get(URL, {"service": "checkout", "is_open": "true"})

    assert response.status_code == 200
    assert [i["key"] for i in response.json()["results"]] == [wanted.key]


def test_the_incident_list_takes_a_fixed_number_of_queries(
    viewer_api, django_assert_max_num_queries
):
    for _ in range(5):
        make_incident()

    # count, page, services, plus the viewer's groups
    with django_assert_max_num_queries(4):
        response = viewer_api.get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_a_restricted_incident_is_hidden_from_those_outside_it(viewer_api):
    hidden = make_incident(is_restricted=True)
    shown = make_incident()

    listed = viewer_api.get(URL)
    detail = viewer_api.get(f"{URL}{hidden.pk}/")
    timeline = viewer_api.get(f"{URL}{hidden.pk}/timeline/")

    assert [i["id"] for i in listed.json()["results"]] == [shown.pk]
    assert detail.status_code == 404
    assert timeline.status_code == 404


def test_a_restricted_incident_is_shown_to_its_responders(viewer_api, viewer):
    incident = make_incident(is_restricted=True)
    incident.responders.add(viewer)

    response = viewer_api.get(f"{URL}{incident.pk}/")

    assert response.status_code == 200


def test_a_past_incident_posted_without_a_detection_time_leaves_it_unknown(
    responder_api,
):
    make_service("checkout")

    response = responder_api.post(
        URL,
        new_incident(
            acknowledged_at="2025-05-02T08:10:00Z",
            resolved_at="2025-05-02T09:00:00Z",
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert incident.detected_at is None
    assert incident.status == Incident.Status.RESOLVED


def test_a_live_incident_posted_without_a_detection_time_is_detected_now(
    responder_api,
):
    make_service("checkout")

    responder_api.post(URL, new_incident(), format="json")

    incident = Incident.objects.get()
    assert incident.detected_at > incident.started_at


def test_setting_resolved_at_on_an_open_incident_is_refused(responder_api):
    incident = make_incident(started_at=at(2025, 5, 2, 8))

    response = responder_api.patch(
        f"{URL}{incident.pk}/", {"resolved_at": "2025-05-02T08:10:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert "resolved_at" in response.json()["error"]["fields"]
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_clearing_resolved_at_of_a_resolved_incident_is_refused(responder_api):
    incident = make_incident(
        started_at=at(2025, 5, 2, 8), resolved_at=at(2025, 5, 2, 9)
    )

    response = responder_api.patch(
        f"{URL}{incident.pk}/", {"resolved_at": None}, format="json"
    )

    assert response.status_code == 400
    assert "resolved_at" in response.json()["error"]["fields"]
    incident.refresh_from_db()
    assert incident.resolved_at == at(2025, 5, 2, 9)


def test_reopening_with_resolved_at_null_clears_it(responder_api):
    incident = make_incident(
        started_at=at(2025, 5, 2, 8), resolved_at=at(2025, 5, 2, 9)
    )

    response = responder_api.patch(
        f"{URL}{incident.pk}/",
        {"status": "investigating", "resolved_at": None},
        format="json",
    )

    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == ("investigating", None)
