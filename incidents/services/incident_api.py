"""Incident writes as API clients send them: several changes in one request, made
with the incident services inside one transaction, so a refused part leaves nothing
half-applied."""

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from ..errors import DomainError
from ..models import Deployment, Incident, Service
from . import incidents as incident_services

Status = Incident.Status

# The time a status change stamps, when the client names it.
_STATUS_TIME = {
    Status.RESOLVED: "resolved_at",
    Status.MONITORING: "mitigated_at",
    Status.IDENTIFIED: "acknowledged_at",
}


@transaction.atomic
def open_incident(
    *,
    actor: User | None,
    title: str,
    severity: str,
    services: list[Service],
    started_at: datetime,
    status: str | None = None,
    caused_by: Deployment | None = None,
    **fields,
) -> Incident:
    if not services:
        raise DomainError("An incident affects at least one service.", field="services")

    incident = incident_services.declare_incident(
        title=title,
        severity=severity,
        services=services,
        actor=actor,
        started_at=started_at,
        source=Incident.Source.API,
        **fields,
    )
    if status and status != incident.status:
        at = fields.get(_STATUS_TIME.get(status, ""))
        incident = incident_services.change_status(
            incident=incident, status=status, actor=actor, at=at
        )
    if caused_by is not None:
        incident = incident_services.link_cause(
            incident=incident,
            deployment=caused_by,
            actor=actor,
            source=Incident.CauseSource.API,
        )
    return incident


@transaction.atomic
def edit_incident(*, incident: Incident, actor: User | None, **changes) -> Incident:
    status = changes.pop("status", None)
    has_cause = "caused_by" in changes
    caused_by = changes.pop("caused_by", None)
    status_time = changes.pop(_STATUS_TIME.get(status, ""), None) if status else None
    if status and status != Status.RESOLVED and changes.get("resolved_at", 0) is None:
        # Reopening clears the resolution itself; clearing it first would leave a
        # resolved incident without a resolution time for a moment.
        changes.pop("resolved_at")

    if changes:
        incident = incident_services.update_incident(
            incident=incident, actor=actor, **changes
        )
    if status and status != incident.status:
        incident = incident_services.change_status(
            incident=incident, status=status, actor=actor, at=status_time
        )
    elif status_time is not None:
        incident = incident_services.update_incident(
            incident=incident, actor=actor, **{_STATUS_TIME[status]: status_time}
        )
    if has_cause and caused_by != incident.caused_by:
        incident = incident_services.link_cause(
            incident=incident,
            deployment=caused_by,
            actor=actor,
            source=Incident.CauseSource.API,
        )
    return incident
