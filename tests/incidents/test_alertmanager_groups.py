"""Alertmanager groups over time and at size: one group per sender, alerts a person
resolved staying with their incident, and notifications of thousands of alerts."""

import copy

from rest_framework.test import APIClient

from incidents.models import Incident, TimelineEntry
from incidents.services import incidents as incident_services
from tests.factories import at, make_token

from .alertmanager import ALERT, alert_entries, firing_with, payload, post


def _sender(name):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(name)}")
    return client


def test_two_alertmanagers_sending_the_same_group_key_open_an_incident_each(db):
    eu, us = _sender("alertmanager-eu"), _sender("alertmanager-us")
    post(eu, payload("firing"))

    response = post(us, payload("firing"))

    assert response.status_code == 201
    assert Incident.objects.count() == 2


def test_one_alertmanager_resolving_leaves_the_others_incident_firing(db):
    eu, us = _sender("alertmanager-eu"), _sender("alertmanager-us")
    eu_key = post(eu, payload("firing")).json()["incident"]
    us_key = post(us, payload("firing")).json()["incident"]
    post(eu, payload("resolved"))

    response = post(us, payload("firing"))

    assert response.json()["incident"] == us_key
    assert response.json()["status"] == "investigating"
    eu_incident = Incident.objects.get(pk=Incident.pk_from_key(eu_key))
    assert eu_incident.status == Incident.Status.MONITORING


def _resolve_by_hand(incident, responder):
    incident_services.change_status(
        incident=incident, status=Incident.Status.RESOLVED, actor=responder
    )


def test_a_repeat_of_alerts_a_person_resolved_opens_no_new_incident(api, responder):
    post(api, payload("firing"))
    first = Incident.objects.get()
    _resolve_by_hand(first, responder)

    response = post(api, payload("firing"))

    assert response.status_code == 200
    assert response.json()["incident"] == first.key
    assert response.json()["recorded"] == 0
    first.refresh_from_db()
    assert first.status == Incident.Status.RESOLVED
    assert Incident.objects.count() == 1


def test_alerts_resolving_after_a_person_resolved_land_in_that_incident(api, responder):
    post(api, payload("firing"))
    first = Incident.objects.get()
    _resolve_by_hand(first, responder)

    response = post(api, payload("resolved"))

    assert response.status_code == 200
    assert response.json()["recorded"] == 2
    first.refresh_from_db()
    assert first.status == Incident.Status.RESOLVED
    assert alert_entries(first) == ["firing", "firing", "resolved", "resolved"]
    assert Incident.objects.count() == 1


def _with_a_new_alert():
    body = payload("firing")
    new = copy.deepcopy(body["alerts"][0])
    new.update(fingerprint="5d0c9e1f2a3b4c6d", startsAt="2025-05-03T08:00:00Z")
    new["labels"].update(instance="checkout-7d9f8b6c4-q9wzt:8080", severity="warning")
    body["alerts"].append(new)
    return body


def test_a_new_alert_beside_resolved_ones_opens_an_incident_of_its_own(api, responder):
    post(api, payload("firing"))
    first = Incident.objects.get()
    _resolve_by_hand(first, responder)

    response = post(api, _with_a_new_alert())

    assert response.status_code == 201
    second = Incident.objects.exclude(pk=first.pk).get()
    assert second.started_at == at(2025, 5, 3, 8, 0)
    assert second.severity == "SEV3"


def test_alerts_carried_into_a_new_incident_do_not_stretch_it_back(api, responder):
    post(api, payload("firing"))
    _resolve_by_hand(Incident.objects.get(), responder)
    post(api, _with_a_new_alert())

    response = post(api, _with_a_new_alert())

    assert response.json()["recorded"] == 0
    second = Incident.objects.get(pk=response.json()["id"])
    assert second.started_at == at(2025, 5, 3, 8, 0)
    assert not second.timeline.filter(kind=TimelineEntry.Kind.TIME_CORRECTION)


def _big_group(size):
    body = payload("firing")
    template = body["alerts"][0]
    body["alerts"] = []
    for number in range(size):
        alert = copy.deepcopy(template)
        alert["fingerprint"] = f"{number:016x}"
        alert["labels"]["instance"] = f"checkout-{number}:8080"
        alert["annotations"]["summary"] = f"checkout-{number} answers with 5xx"
        body["alerts"].append(alert)
    return body


def test_a_group_of_more_than_a_thousand_alerts_is_recorded_whole(api):
    response = post(api, _big_group(1500))

    assert response.status_code == 201
    assert response.json()["recorded"] == 1500
    assert Incident.objects.get().timeline.filter(kind=ALERT).count() == 1500


def test_a_big_group_costs_no_query_per_alert(api, django_assert_max_num_queries):
    body = _big_group(500)

    with django_assert_max_num_queries(40):
        response = post(api, body)

    assert response.status_code == 201


def test_a_long_generator_url_is_kept_as_the_alerts_source(api):
    url = "http://prometheus:9090/graph?g0.expr=" + "a" * 2500
    body = firing_with(lambda b: b["alerts"][0].update(generatorURL=url))

    response = post(api, body)

    assert response.status_code == 201
    entry = Incident.objects.get().timeline.get(
        kind=ALERT, data__fingerprint="3b1fa2c0c8a7e6d1"
    )
    assert url in entry.body


def test_a_generator_url_too_long_to_follow_is_left_out_not_refused(api):
    url = "http://prometheus:9090/graph?g0.expr=" + "a" * 20_000
    body = firing_with(lambda b: b["alerts"][0].update(generatorURL=url))

    response = post(api, body)

    assert response.status_code == 201
    entry = Incident.objects.get().timeline.get(
        kind=ALERT, data__fingerprint="3b1fa2c0c8a7e6d1"
    )
    assert "source" not in entry.body
