import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..errors import DomainError
from ..markdown import escape_markdown, render_markdown
from ..models import Deployment, Incident, Service, TimelineEntry
from ..signals import announce_change

logger = logging.getLogger(__name__)

Status = Incident.Status
Kind = TimelineEntry.Kind

# The times an incident carries, in the order they must fall.
TIME_FIELDS = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
)


def validate_times(values: dict[str, datetime | None]) -> dict[str, str]:
    """Return {field: message} for every time that breaks the incident's order."""
    errors: dict[str, str] = {}
    started = values.get("started_at")
    for field in TIME_FIELDS[1:]:
        value = values.get(field)
        if value is not None and started is not None and value < started:
            errors[field] = "Cannot be before the impact started."

    mitigated, resolved = values.get("mitigated_at"), values.get("resolved_at")
    if mitigated and resolved and resolved < mitigated and "resolved_at" not in errors:
        errors["resolved_at"] = "Cannot be before the incident was mitigated."

    # Nobody acknowledges what has not been detected; the other stamps may come
    # before detection (a problem found only after it was fixed).
    detected, acknowledged = values.get("detected_at"), values.get("acknowledged_at")
    if (
        detected
        and acknowledged
        and acknowledged < detected
        and "acknowledged_at" not in errors
    ):
        errors["acknowledged_at"] = "Cannot be before the incident was detected."
    return errors


_LATER_STAMPS = ("acknowledged_at", "mitigated_at", "resolved_at")


def _check_resolution_matches_status(incident: Incident) -> None:
    # Metrics read resolved_at and the pages read status; they must tell the same
    # story, so resolving and reopening go through a status change.
    if incident.status == Status.RESOLVED and incident.resolved_at is None:
        raise DomainError(
            "A resolved incident keeps its resolution time; reopen it by changing "
            "its status to clear it.",
            field="resolved_at",
        )
    if incident.status != Status.RESOLVED and incident.resolved_at is not None:
        raise DomainError(
            f"The incident is {incident.status}: resolve it by changing its status "
            "to resolved (with resolved_at) rather than setting the time alone.",
            field="resolved_at",
        )


def _check_times(incident: Incident) -> None:
    errors = validate_times({f: getattr(incident, f) for f in TIME_FIELDS})
    if errors:
        field, message = next(iter(errors.items()))
        raise DomainError(message, field=field)


def add_timeline_entry(
    *,
    incident: Incident,
    kind: str,
    body: str = "",
    actor: User | None = None,
    occurred_at: datetime | None = None,
    tag: str = "",
    data: dict | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        body=body,
        body_html=render_markdown(body) if body else "",
        author=actor,
        occurred_at=occurred_at or timezone.now(),
        tag=tag,
        data=data or {},
    )


@transaction.atomic
def declare_incident(
    *,
    title: str,
    severity: str,
    services: Iterable[Service],
    actor: User | None,
    started_at: datetime | None = None,
    detected_at: datetime | None = None,
    summary: str = "",
    source: str = Incident.Source.MANUAL,
    alert_group_key: str = "",
    impact_percent=100,
    commander: User | None = None,
    communications_lead: User | None = None,
    **times: datetime | None,
) -> Incident:
    now = timezone.now()
    started_at = started_at or now
    backfilled = any(times.get(name) for name in _LATER_STAMPS)
    if detected_at is None and not backfilled:
        # A person declaring it is the moment it was detected, unless they say when.
        # A record of a past incident (it was already acknowledged, mitigated or
        # resolved) leaves an unknown detection time unknown: "now" would come after
        # its resolution and poison time to detect and to acknowledge.
        detected_at = max(started_at, now)
    incident = Incident(
        title=title.strip(),
        severity=severity,
        summary=summary,
        started_at=started_at,
        detected_at=detected_at,
        source=source,
        alert_group_key=alert_group_key,
        impact_percent=impact_percent,
        commander=commander,
        communications_lead=communications_lead,
        created_by=actor,
        **times,
    )
    if incident.resolved_at:
        incident.status = Status.RESOLVED
    _check_times(incident)
    incident.save()
    incident.services.set(services)

    add_timeline_entry(
        incident=incident,
        kind=Kind.STATUS_CHANGE,
        body=f"Incident declared as {severity}: {escape_markdown(incident.title)}",
        actor=actor,
        occurred_at=incident.detected_at or incident.started_at,
        data={"to": incident.status},
    )
    announce_change(kind="incident", ids=[incident.pk])
    logger.info("Incident %s declared (%s, source %s)", incident.key, severity, source)
    return incident


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic
def change_status(
    *,
    incident: Incident,
    status: str,
    actor: User | None,
    at: datetime | None = None,
    acknowledges: bool = True,
) -> Incident:
    """Move an incident to a status, stamping the matching time. Resolving also
    stamps mitigation if nobody did; reopening clears the resolution. A person who
    moves an incident on has acknowledged it; automation (``acknowledges=False``,
    an alert that stopped firing) has not, so time to acknowledge stays a human
    figure."""
    incident = _locked(incident)
    if status == incident.status:
        raise DomainError(f"The incident is already {incident.status}.", field="status")

    at = at or timezone.now()
    previous = incident.status
    incident.status = status
    if status == Status.RESOLVED:
        incident.mitigated_at = incident.mitigated_at or at
        incident.resolved_at = at
    elif status == Status.MONITORING:
        incident.mitigated_at = incident.mitigated_at or at
        incident.resolved_at = None
    else:
        incident.resolved_at = None
    if (
        acknowledges
        and status != Status.INVESTIGATING
        and incident.acknowledged_at is None
    ):
        incident.acknowledged_at = at
    _check_times(incident)
    incident.save()

    verb = "Reopened" if previous == Status.RESOLVED else "Status changed"
    add_timeline_entry(
        incident=incident,
        kind=Kind.STATUS_CHANGE,
        body=f"{verb}: {previous} → {status}",
        actor=actor,
        occurred_at=at,
        data={"from": previous, "to": status},
    )
    announce_change(kind="incident", ids=[incident.pk])
    logger.info("Incident %s: %s -> %s", incident.key, previous, status)
    return incident


@transaction.atomic
def acknowledge(
    *, incident: Incident, actor: User | None, at: datetime | None = None
) -> Incident:
    incident = _locked(incident)
    if incident.acknowledged_at is not None:
        raise DomainError("The incident is already acknowledged.")

    incident.acknowledged_at = at or timezone.now()
    _check_times(incident)
    incident.save(update_fields=["acknowledged_at", "updated_at"])

    who = actor.get_username() if actor else "someone"
    add_timeline_entry(
        incident=incident,
        kind=Kind.STATUS_CHANGE,
        body=f"Acknowledged by {who}",
        actor=actor,
        occurred_at=incident.acknowledged_at,
        data={"acknowledged": True},
    )
    announce_change(kind="incident", ids=[incident.pk])
    return incident


@transaction.atomic
def add_note(
    *,
    incident: Incident,
    body: str,
    actor: User | None,
    tag: str = "",
    at: datetime | None = None,
) -> TimelineEntry:
    if not body.strip():
        raise DomainError("A note needs some text.", field="body")
    entry = add_timeline_entry(
        incident=incident,
        kind=Kind.NOTE,
        body=body,
        actor=actor,
        occurred_at=at,
        tag=tag,
    )
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    return entry


@transaction.atomic
def link_cause(
    *,
    incident: Incident,
    deployment: Deployment | None,
    actor: User | None,
    source: str = Incident.CauseSource.PERSON,
) -> Incident:
    incident = _locked(incident)
    if (
        deployment is not None
        and not incident.services.filter(pk=deployment.service_id).exists()
    ):
        raise DomainError(
            "The deployment is not of a service this incident affects.",
            field="caused_by",
        )

    previous = incident.caused_by
    incident.caused_by = deployment
    incident.cause_source = source if deployment else ""
    incident.save(update_fields=["caused_by", "cause_source", "updated_at"])

    body = (
        f"Cause linked to deployment {escape_markdown(deployment)}"
        if deployment
        else f"Cause link to deployment {escape_markdown(previous)} removed"
    )
    add_timeline_entry(
        incident=incident,
        kind=Kind.FIELD_CHANGE,
        body=body,
        actor=actor,
        data={
            "field": "caused_by",
            "from": previous.pk if previous else None,
            "to": deployment.pk if deployment else None,
        },
    )
    announce_change(kind="incident", ids=[incident.pk])
    return incident


_EDITABLE_FIELDS = {
    "title",
    "summary",
    "severity",
    "impact_percent",
    "commander",
    "communications_lead",
    "is_restricted",
}


def _display(value) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@transaction.atomic
def update_incident(*, incident: Incident, actor: User | None, **changes) -> Incident:
    """Edit plain fields and times; each changed field writes a timeline entry.
    Times written here are corrections and are recorded as such."""
    unknown = set(changes) - _EDITABLE_FIELDS - set(TIME_FIELDS) - {"services"}
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.")

    incident = _locked(incident)
    services = changes.pop("services", None)
    diffs = []
    for field, value in changes.items():
        old = getattr(incident, field)
        if old != value:
            setattr(incident, field, value)
            diffs.append((field, old, value))
    _check_resolution_matches_status(incident)
    _check_times(incident)
    incident.save()

    for field, old, new in diffs:
        kind = Kind.TIME_CORRECTION if field in TIME_FIELDS else Kind.FIELD_CHANGE
        label = field.replace("_", " ").capitalize()
        add_timeline_entry(
            incident=incident,
            kind=kind,
            body=(
                f"{label} changed from {escape_markdown(_display(old))} "
                f"to {escape_markdown(_display(new))}"
            ),
            actor=actor,
            data={"field": field, "from": _display(old), "to": _display(new)},
        )
    if services is not None:
        _set_services(incident, services, actor)
    announce_change(kind="incident", ids=[incident.pk])
    return incident


def _set_services(incident: Incident, services: Iterable[Service], actor) -> None:
    before = set(incident.services.values_list("slug", flat=True))
    services = list(services)
    after = {s.slug for s in services}
    if before == after:
        return
    if not after:
        raise DomainError("An incident affects at least one service.", field="services")

    incident.services.set(services)
    add_timeline_entry(
        incident=incident,
        kind=Kind.FIELD_CHANGE,
        body=(
            f"Services changed from {', '.join(sorted(before)) or '(none)'} "
            f"to {', '.join(sorted(after))}"
        ),
        actor=actor,
        data={"field": "services", "from": sorted(before), "to": sorted(after)},
    )
