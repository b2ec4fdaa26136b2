from accounts.roles import can_view

from .selectors import open_incident_counts


def header_counts(request) -> dict:
    """Open incidents by severity, shown in the header of every page."""
    # An error page answered before authentication has no user on the request.
    user = getattr(request, "user", None)
    if user is None or not can_view(user):
        return {}
    counts = open_incident_counts()
    return {"open_incident_counts": counts, "open_incident_total": sum(counts.values())}
