"""Audit records for reading restricted incidents, from the pages and the API alike.

Who may see a restricted incident is decided by ``Incident.objects.visible_to``;
these only write down that someone allowed to see one did."""

from accounts import audit
from accounts.models import AuditEvent

from .models import Incident


def record_restricted_read(request, incident: Incident) -> None:
    if not incident.is_restricted:
        return
    audit.record(
        AuditEvent.Action.RESTRICTED_ACCESS,
        request=request,
        target=f"{incident.key} {request.method} {request.path}",
    )


def record_restricted_listing(request, *, count: int) -> None:
    """One event for a list or export that included ``count`` restricted incidents.

    One per request rather than one per row: an admin's export of every incident
    would otherwise write thousands of events that say the same thing."""
    if not count:
        return
    audit.record(
        AuditEvent.Action.RESTRICTED_ACCESS,
        request=request,
        target=f"{count} restricted {request.method} {request.path}",
        detail={"restricted_incidents": count},
    )
