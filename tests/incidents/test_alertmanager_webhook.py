import copy
import json

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident, TimelineEntry
from incidents.services import incidents as incident_services
from tests.factories import at

from .alertmanager import ALERT, URL, alert_entries, firing_with, payload, post


def test_a_firing_group_opens_an_incident(api):
    response = post(api, payload("firing"))

    assert response.status_code == 201
    assert response.json()["incident"].startswith("INC-")
    assert response.json()["recorded"] == 2
    incident = Incident.objects.get()
    assert incident.source == Incident.Source.ALERTMANAGER
    assert incident.alert_group_key == payload("firing")["groupKey"]
    assert incident.severity == "SEV1"
    assert incident.status == Incident.Status.INVESTIGATING
    assert incident.title == "HighErrorRate: 5xx ratio above 5% for 5 minutes"
    assert [s.slug for s in incident.services.all()] == ["checkout"]
    # The earliest startsAt: 13:55:16.123456789+02:00, to the microsecond.
    assert incident.started_at == at(2025, 5, 2, 11, 55, 16, 123456)
    assert alert_entries(incident) == ["firing", "firing"]


def test_a_repeated_firing_notification_changes_nothing(api):
    post(api, payload("firing"))
    incident = Incident.objects.get()
    before = incident.timeline.count()

    response = post(api, payload("firing"))

    assert response.status_code == 200
    assert response.json()["recorded"] == 0
    assert response.json()["incident"] == incident.key
    assert Incident.objects.count() == 1
    assert incident.timeline.count() == before


def test_a_partial_resolution_records_the_resolved_alert_only(api):
    post(api, payload("firing"))

    response = post(api, payload("partially_resolved"))

    assert response.status_code == 200
    assert response.json()["recorded"] == 1
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.INVESTIGATING
    assert alert_entries(incident) == ["firing", "firing", "resolved"]
    resolved = incident.timeline.get(kind=ALERT, data__status="resolved")
    assert resolved.occurred_at == at(2025, 5, 2, 12, 20, 16, 987654)
    assert resolved.data["fingerprint"] == "3b1fa2c0c8a7e6d1"


def test_when_every_alert_resolves_the_incident_moves_to_monitoring(api):
    post(api, payload("firing"))
    post(api, payload("partially_resolved"))

    response = post(api, payload("resolved"))

    assert response.status_code == 200
    assert response.json()["status"] == "monitoring"
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.MONITORING
    assert incident.resolved_at is None
    # The last alert ended at 12:31:01.000000001Z.
    assert incident.mitigated_at == at(2025, 5, 2, 12, 31, 1)
    assert alert_entries(incident) == ["firing", "firing", "resolved", "resolved"]
    assert incident.timeline.filter(data__to="monitoring").count() == 1


def test_alerts_that_stop_firing_do_not_count_as_acknowledgement(api, responder):
    # Time to acknowledge measures people: automation moving the incident on leaves
    # it unacknowledged until a responder acts.
    post(api, payload("firing"))
    post(api, payload("resolved"))
    incident = Incident.objects.get()
    assert incident.acknowledged_at is None

    incident_services.change_status(
        incident=incident, status=Incident.Status.RESOLVED, actor=responder
    )

    incident.refresh_from_db()
    assert incident.acknowledged_at is not None


def test_redelivering_the_whole_sequence_changes_nothing(api):
    for name in ("firing", "partially_resolved", "resolved"):
        post(api, payload(name))
    incident = Incident.objects.get()
    before = list(incident.timeline.values_list("id", flat=True))

    for name in ("firing", "partially_resolved", "resolved", "firing"):
        response = post(api, payload(name))
        assert response.status_code == 200
        assert response.json()["recorded"] == 0

    incident.refresh_from_db()
    assert incident.status == Incident.Status.MONITORING
    assert list(incident.timeline.values_list("id", flat=True)) == before


def test_only_the_resolution_arriving_first_still_settles_to_monitoring(api):
    post(api, payload("firing"))
    post(api, payload("resolved"))

    post(api, payload("partially_resolved"))

    incident = Incident.objects.get()
    assert incident.status == Incident.Status.MONITORING
    assert sorted(alert_entries(incident)) == [
        "firing",
        "firing",
        "resolved",
        "resolved",
    ]


def test_a_person_resolves_it_and_the_next_firing_opens_a_new_incident(api, responder):
    post(api, payload("firing"))
    post(api, payload("resolved"))
    first = Incident.objects.get()
    incident_services.change_status(
        incident=first, status=Incident.Status.RESOLVED, actor=responder
    )
    again = payload("firing")
    for alert in again["alerts"]:
        alert["startsAt"] = "2025-05-03T08:00:00Z"

    response = post(api, again)

    assert response.status_code == 201
    assert Incident.objects.count() == 2
    assert Incident.objects.exclude(pk=first.pk).get().started_at == at(
        2025, 5, 3, 8, 0
    )


def test_an_alert_firing_again_while_monitoring_reopens_the_investigation(api):
    post(api, payload("firing"))
    post(api, payload("resolved"))
    again = payload("firing")
    again["alerts"] = again["alerts"][:1]
    again["alerts"][0]["startsAt"] = "2025-05-02T13:00:00Z"

    response = post(api, again)

    assert response.json()["recorded"] == 1
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.INVESTIGATING


def test_a_mixed_notification_opens_an_incident_for_every_service(api):
    response = post(api, payload("mixed"))

    assert response.status_code == 201
    incident = Incident.objects.get()
    assert [s.slug for s in incident.services.order_by("slug")] == [
        "checkout",
        "payments",
    ]
    # The alert without a fingerprint started first, at 11:40 UTC.
    assert incident.started_at == at(2025, 5, 2, 11, 40)
    assert incident.severity == "SEV1"
    assert sorted(alert_entries(incident)) == ["firing", "firing", "resolved"]
    no_fingerprint = incident.timeline.get(
        kind=ALERT, data__alertname="HighErrorRate", data__labels__app="payments"
    )
    assert no_fingerprint.data["fingerprint"].startswith("labels:")


def test_new_alerts_widen_an_open_incident(api):
    post(api, payload("firing"))

    response = post(api, payload("mixed"))

    assert response.json()["recorded"] == 2
    incident = Incident.objects.get()
    assert incident.started_at == at(2025, 5, 2, 11, 40)
    assert {s.slug for s in incident.services.all()} == {"checkout", "payments"}
    assert incident.timeline.filter(kind=TimelineEntry.Kind.TIME_CORRECTION).count()


def test_an_alert_without_a_fingerprint_is_recorded_once(api):
    body = payload("mixed")
    post(api, body)

    response = post(api, copy.deepcopy(body))

    assert response.json()["recorded"] == 0
    assert Incident.objects.get().timeline.filter(kind=ALERT).count() == 3


def test_a_resolved_group_without_an_open_incident_is_acknowledged_and_ignored(api):
    response = post(api, payload("resolved"))

    assert response.status_code == 200
    assert response.json()["incident"] is None
    assert not Incident.objects.exists()


def test_a_long_group_key_with_braces_and_quotes_finds_its_incident(api):
    body = payload("firing")
    body["groupKey"] = '{}:{alertname="X", path="' + "/a" * 400 + '"}'
    post(api, body)

    response = post(api, body)

    assert response.json()["recorded"] == 0
    incident = Incident.objects.get()
    assert incident.alert_group_key.startswith("sha256:")


def test_the_severity_mapping_comes_from_settings(api, settings):
    settings.ALERTMANAGER_SEVERITY_MAP = {"critical": "SEV2"}
    body = payload("firing")

    post(api, body)

    assert Incident.objects.get().severity == "SEV2"


def test_an_unknown_severity_label_falls_back_to_sev3(api):
    body = payload("firing")
    for alert in body["alerts"]:
        alert["labels"]["severity"] = "page-someone"

    post(api, body)

    assert Incident.objects.get().severity == "SEV3"


MALFORMED = [
    ("version 3", firing_with(lambda b: b.update(version="3")), "version"),
    ("no group key", firing_with(lambda b: b.pop("groupKey")), "groupKey"),
    ("no alerts", firing_with(lambda b: b.update(alerts=[])), "alerts"),
    ("bad status", firing_with(lambda b: b.update(status="pending")), "status"),
    (
        "start without zone",
        firing_with(lambda b: b["alerts"][0].update(startsAt="2025-05-02T11:55:16")),
        "alerts",
    ),
    (
        "start is garbage",
        firing_with(lambda b: b["alerts"][1].update(startsAt="yesterday")),
        "alerts",
    ),
    (
        "labels not a map",
        firing_with(lambda b: b["alerts"][0].update(labels=["a"])),
        "alerts",
    ),
    (
        "alert status unknown",
        firing_with(lambda b: b["alerts"][0].update(status="silenced")),
        "alerts",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"),
    [pytest.param(body, field, id=name) for name, body, field in MALFORMED],
)
def test_a_malformed_notification_is_refused_with_the_field_named(api, body, field):
    response = post(api, body)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Incident.objects.exists()


def test_a_start_without_zone_says_so(api):
    body = firing_with(lambda b: b["alerts"][0].update(startsAt="2025-05-02T11:55:16"))

    response = post(api, body)

    assert "no time zone" in json.dumps(response.json())


@pytest.mark.parametrize(
    "when",
    ["2999-05-02T11:55:16Z", "0002-05-02T11:55:16Z", "9999-12-31T23:59:59-05:00"],
)
def test_an_absurd_start_is_refused_naming_the_field(api, when):
    body = firing_with(lambda b: b["alerts"][0].update(startsAt=when))

    response = post(api, body)

    assert response.status_code == 400
    assert "startsAt" in response.json()["error"]["fields"]["alerts"]["0"]
    assert not Incident.objects.exists()


def test_an_absurd_end_is_refused_naming_the_field(api):
    post(api, payload("firing"))
    body = payload("resolved")
    body["alerts"][0]["endsAt"] = "2999-05-02T12:31:01Z"

    response = post(api, body)

    assert response.status_code == 400
    assert "endsAt" in response.json()["error"]["fields"]["alerts"]["0"]
    assert Incident.objects.get().status == Incident.Status.INVESTIGATING


def test_a_firing_alert_with_a_far_forecast_end_still_opens_its_incident(api):
    # Alertmanager's end time for a firing alert is a forecast Hindsight never uses.
    body = payload("firing")
    body["alerts"][0]["endsAt"] = "2999-05-02T12:31:01Z"

    response = post(api, body)

    assert response.status_code == 201
    assert Incident.objects.get().status == Incident.Status.INVESTIGATING


@pytest.mark.parametrize(
    "raw", ["not json", "[1, 2]", '"text"', "{}"], ids=["text", "list", "str", "empty"]
)
def test_a_body_that_is_not_a_notification_is_a_400(api, raw):
    response = api.post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not Incident.objects.exists()


def test_anonymous_senders_are_refused(db):
    response = APIClient().post(URL, payload("firing"), format="json")

    assert response.status_code in (401, 403)
    assert not Incident.objects.exists()


def test_viewers_cannot_post_alerts(viewer):
    client = APIClient()
    client.force_authenticate(viewer)

    response = client.post(URL, payload("firing"), format="json")

    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_a_firing_alert_with_a_future_end_time_is_still_firing(api):
    # Older Alertmanagers send startsAt + resolve_timeout as a firing alert's end.
    body = payload("firing")
    for alert in body["alerts"]:
        alert["endsAt"] = "2025-05-02T12:10:00.000000000Z"

    response = post(api, body)

    assert response.status_code == 201
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.INVESTIGATING
    assert alert_entries(incident) == ["firing", "firing"]


def test_the_incident_reaches_monitoring_at_the_last_resolution(api):
    post(api, payload("firing"))

    post(api, payload("resolved"))

    entry = Incident.objects.get().timeline.get(data__to="monitoring")
    assert entry.occurred_at == at(2025, 5, 2, 12, 31, 1)


def test_a_truncated_firing_group_is_not_taken_for_resolved(api):
    post(api, payload("firing"))
    # Both listed alerts resolved, but the group still fires an alert that
    # Alertmanager cut from the notification.
    body = payload("resolved")
    body.update(status="firing", truncatedAlerts=1)

    response = post(api, body)

    assert response.json()["recorded"] == 2
    assert Incident.objects.get().status == Incident.Status.INVESTIGATING


def test_a_late_firing_notice_older_than_a_resolution_does_not_reopen(api):
    # The resolution of alert 1 arrives before its firing notice; the late firing
    # notice (same start) must not move the incident back from monitoring.
    post(api, payload("firing"))
    post(api, payload("resolved"))
    late = payload("firing")
    late["alerts"][0]["fingerprint"] = "late-one"
    late["alerts"] = late["alerts"][:1]
    resolved_first = copy.deepcopy(late)
    resolved_first["status"] = "resolved"
    resolved_first["alerts"][0].update(status="resolved", endsAt="2025-05-02T12:40:00Z")
    post(api, resolved_first)

    response = post(api, late)

    assert response.json()["recorded"] == 1
    assert Incident.objects.get().status == Incident.Status.MONITORING


def test_alerts_that_name_no_service_land_on_the_unassigned_service(api):
    body = payload("firing")
    for alert in body["alerts"]:
        for label in ("service", "app", "job"):
            alert["labels"].pop(label, None)
    for labels in (body.get("commonLabels", {}), body.get("groupLabels", {})):
        for label in ("service", "app", "job"):
            labels.pop(label, None)

    response = post(api, body)

    assert response.status_code in (200, 201)
    incident = Incident.objects.get()
    assert list(incident.services.values_list("slug", flat=True)) == ["unassigned"]
