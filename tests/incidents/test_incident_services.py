from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.errors import DomainError
from incidents.models import Incident, TimelineEntry
from incidents.services import incidents as services

from ..factories import at, make_deployment, make_incident, make_service

Status = Incident.Status
Kind = TimelineEntry.Kind


def declare(responder, **fields):
    fields.setdefault("title", "Checkout down")
    fields.setdefault("severity", "SEV1")
    fields.setdefault("services", [make_service()])
    return services.declare_incident(actor=responder, **fields)


def test_declaring_starts_investigating_now_with_a_key_and_a_timeline_entry(
    responder,
):
    before = timezone.now()

    incident = declare(responder)

    assert incident.key == f"INC-{incident.pk}"
    assert incident.status == Status.INVESTIGATING
    assert before <= incident.started_at <= timezone.now()
    entry = incident.timeline.get()
    assert entry.kind == Kind.STATUS_CHANGE
    assert entry.author == responder


def test_declaring_with_an_earlier_impact_start_keeps_it(responder):
    incident = declare(responder, started_at=at(2025, 3, 1, 8))

    assert incident.started_at == at(2025, 3, 1, 8)
    assert incident.detected_at > incident.started_at


def test_resolving_stamps_mitigation_and_resolution_and_writes_the_timeline(
    responder,
):
    incident = declare(responder)

    resolved = services.change_status(
        incident=incident, status=Status.RESOLVED, actor=responder
    )

    assert resolved.status == Status.RESOLVED
    assert resolved.resolved_at is not None
    assert resolved.mitigated_at == resolved.resolved_at
    assert resolved.acknowledged_at == resolved.resolved_at
    last = resolved.timeline.order_by("-id").first()
    assert last.data == {"from": "investigating", "to": "resolved"}


def test_resolving_twice_is_rejected(responder):
    incident = declare(responder)
    services.change_status(incident=incident, status=Status.RESOLVED, actor=responder)

    with pytest.raises(DomainError):
        services.change_status(
            incident=incident, status=Status.RESOLVED, actor=responder
        )

    assert incident.timeline.filter(kind=Kind.STATUS_CHANGE).count() == 2


def test_reopening_clears_the_resolution_and_says_so(responder):
    incident = declare(responder)
    services.change_status(incident=incident, status=Status.RESOLVED, actor=responder)

    reopened = services.change_status(
        incident=incident, status=Status.INVESTIGATING, actor=responder
    )

    assert reopened.resolved_at is None
    assert reopened.timeline.order_by("-id").first().body.startswith("Reopened")


def test_acknowledging_twice_is_rejected(responder):
    incident = declare(responder)
    services.acknowledge(incident=incident, actor=responder)

    with pytest.raises(DomainError):
        services.acknowledge(incident=incident, actor=responder)


def test_a_note_is_rendered_as_sanitized_markdown(responder):
    incident = declare(responder)

    entry = services.add_note(
        incident=incident,
        body="**bold** <script>alert(1)</script> [x](javascript:alert(1))",
        tag=TimelineEntry.Tag.DIAGNOSIS,
        actor=responder,
    )

    assert "<strong>bold</strong>" in entry.body_html
    assert "<script" not in entry.body_html
    assert "javascript:" not in entry.body_html
    assert entry.tag == "diagnosis"


def test_an_empty_note_is_refused(responder):
    incident = declare(responder)

    with pytest.raises(DomainError):
        services.add_note(incident=incident, body="  ", actor=responder)


def test_linking_a_deployment_of_another_service_is_refused(responder):
    incident = declare(responder, services=[make_service("checkout")])
    other = make_deployment(make_service("search"))

    with pytest.raises(DomainError):
        services.link_cause(incident=incident, deployment=other, actor=responder)

    incident.refresh_from_db()
    assert incident.caused_by is None


def test_linking_the_cause_records_who_set_it(responder):
    service = make_service("checkout")
    incident = declare(responder, services=[service])
    deployment = make_deployment(service)

    linked = services.link_cause(
        incident=incident, deployment=deployment, actor=responder
    )

    assert linked.caused_by == deployment
    assert linked.cause_source == Incident.CauseSource.PERSON
    assert linked.timeline.filter(kind=Kind.FIELD_CHANGE).count() == 1


def test_a_time_correction_is_itself_a_timeline_entry(responder):
    incident = declare(responder, started_at=at(2025, 3, 1, 8))

    services.update_incident(
        incident=incident, actor=responder, started_at=at(2025, 3, 1, 7, 30)
    )

    incident.refresh_from_db()
    assert incident.started_at == at(2025, 3, 1, 7, 30)
    correction = incident.timeline.get(kind=Kind.TIME_CORRECTION)
    assert correction.data["field"] == "started_at"


def test_resolved_before_mitigated_is_refused_and_nothing_changes(responder):
    incident = declare(responder, started_at=at(2025, 3, 1, 8))
    services.update_incident(
        incident=incident, actor=responder, mitigated_at=at(2025, 3, 1, 9)
    )

    with pytest.raises(DomainError) as refused:
        services.update_incident(
            incident=incident, actor=responder, resolved_at=at(2025, 3, 1, 8, 30)
        )

    assert refused.value.field == "resolved_at"
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_unknown_fields_cannot_be_edited(responder):
    incident = declare(responder)

    with pytest.raises(DomainError):
        services.update_incident(incident=incident, actor=responder, created_by=None)


def test_the_database_refuses_a_resolution_before_impact(db):
    incident = make_incident(started_at=at(2025, 1, 1, 12))

    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(resolved_at=at(2025, 1, 1, 11))


def test_changing_services_writes_one_entry_and_needs_at_least_one(responder):
    incident = declare(responder, services=[make_service("checkout")])

    services.update_incident(
        incident=incident, actor=responder, services=[make_service("search")]
    )
    with pytest.raises(DomainError):
        services.update_incident(incident=incident, actor=responder, services=[])

    entry = incident.timeline.get(kind=Kind.FIELD_CHANGE)
    assert entry.data == {"field": "services", "from": ["checkout"], "to": ["search"]}


def test_validate_times_reports_each_field(db):
    start = at(2025, 1, 1, 12)

    errors = services.validate_times(
        {
            "started_at": start,
            "detected_at": start - timedelta(minutes=1),
            "mitigated_at": start + timedelta(hours=2),
            "resolved_at": start + timedelta(hours=1),
        }
    )

    assert set(errors) == {"detected_at", "resolved_at"}


def test_an_acknowledgement_before_detection_is_refused(responder):
    incident = declare(
        responder, started_at=at(2025, 3, 1, 8), detected_at=at(2025, 3, 1, 8, 50)
    )

    with pytest.raises(DomainError) as refused:
        services.update_incident(
            incident=incident, actor=responder, acknowledged_at=at(2025, 3, 1, 8, 1)
        )

    assert refused.value.field == "acknowledged_at"
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_a_detection_after_resolution_is_allowed(responder):
    # Some problems are found only after they ended (a leak seen in an audit).
    incident = declare(
        responder,
        started_at=at(2025, 3, 1, 8),
        detected_at=at(2025, 3, 2, 9),
        resolved_at=at(2025, 3, 1, 10),
    )

    assert incident.detected_at == at(2025, 3, 2, 9)


def test_a_title_cannot_add_links_or_images_to_the_timeline(responder):
    incident = declare(
        responder,
        title="[a](http://evil.example) ![i](http://evil.example/p.png) <img src=x>",
    )

    html = incident.timeline.get().body_html
    assert "<a " not in html
    assert "<img" not in html
    assert "[a](http://evil.example)" in html
