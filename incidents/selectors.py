"""Reads of the record that views, the API, exports and metrics share."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Case, Count, F, Q, QuerySet, When

from accounts.models import Role
from accounts.roles import active_people

from .models import Deployment, Incident, TimelineEntry
from .models.incidents import OPEN_LAST


def open_incident_counts() -> dict[str, int]:
    """Open incidents per severity, for the header of every page (one query)."""
    rows = (
        Incident.objects.open()
        .values("severity")
        .annotate(n=Count("id"))
        .order_by("severity")
    )
    counts = {severity: 0 for severity in Incident.Severity.values}
    counts.update({row["severity"]: row["n"] for row in rows})
    return counts


def incident_list(*, viewer) -> QuerySet[Incident]:
    """The incidents ``viewer`` may see (restricted ones only for admins and their
    responders), open first."""
    # OPEN_LAST is also the expression of an index (incident_open_first), which
    # serves this order only while the two stay the same.
    is_resolved = OPEN_LAST
    return (
        Incident.objects.visible_to(viewer)
        .select_related("commander")
        .prefetch_related("services")
        .annotate(is_resolved=is_resolved)
        .order_by("is_resolved", "-started_at", "-id")  # open incidents first
    )


def open_incidents_most_severe_first(*, viewer) -> QuerySet[Incident]:
    """The open incidents ``viewer`` may see, SEV1 first, then newest: the order in
    which someone glancing at the overview must meet them. The severity values sort
    as their names (SEV1 < SEV2), so no mapping is needed."""
    return (
        incident_list(viewer=viewer).open().order_by("severity", "-started_at", "-id")
    )


def get_incident(key: str) -> Incident | None:
    pk = Incident.pk_from_key(key)
    if pk is None:
        return None
    return (
        Incident.objects.select_related("caused_by__service", "commander", "created_by")
        .prefetch_related("services")
        .filter(pk=pk)
        .first()
    )


def cause_suggestions(
    incident: Incident, *, within: timedelta = timedelta(hours=24)
) -> QuerySet[Deployment]:
    """Deployments of the affected services that started or finished in the day
    before impact start, newest first."""
    impact = incident.started_at
    # A deployment still rolling out when impact began is the likeliest cause, so
    # one that finished after impact start counts from when it started; one that
    # started after impact start has no moment in the window and stays out.
    moment = Case(
        When(finished_at__lte=impact, then=F("finished_at")),
        default=F("started_at"),
    )
    return (
        Deployment.objects.select_related("service")
        .filter(service__in=incident.services.all())
        .alias(moment=moment)
        .filter(moment__lte=impact, moment__gte=impact - within)
        .order_by("-moment", "-id")
    )


def inferred_cause(incident: Incident, *, within: timedelta) -> Deployment | None:
    """DESIGN.md's inferred cause: the latest completed production deployment of any
    affected service that finished at or before impact start, at most ``within``
    before it."""
    return (
        Deployment.objects.production()
        .completed()
        .select_related("service")
        .filter(
            service__in=incident.services.all(),
            finished_at__lte=incident.started_at,
            finished_at__gte=incident.started_at - within,
        )
        .order_by("-finished_at", "-id")
        .first()
    )


def recent_deployments(*, since: datetime) -> QuerySet[Deployment]:
    return (
        Deployment.objects.select_related("service")
        .filter(finished_at__gte=since)
        .order_by("-finished_at", "-id")
    )


def incident_for_page(key: str, *, viewer) -> Incident | None:
    """An incident with everything its page shows beside the timeline, or None when
    there is none that ``viewer`` may see: a restricted incident is not found rather
    than forbidden, so its existence does not leak."""
    pk = Incident.pk_from_key(key)
    if pk is None:
        return None
    return (
        Incident.objects.visible_to(viewer)
        .select_related(
            "caused_by__service",
            "commander",
            "communications_lead",
            "created_by",
            "postmortem",
        )
        .prefetch_related("services")
        .filter(pk=pk)
        .first()
    )


def incident_timeline(incident: Incident) -> QuerySet[TimelineEntry]:
    return incident.timeline.select_related("author").order_by("occurred_at", "id")


def search_deployments(
    incident: Incident, text: str, *, limit: int = 20
) -> QuerySet[Deployment]:
    """Deployments of the incident's services whose version, SHA or service matches,
    newest first: the ones a person may link as the cause."""
    text = text.strip()
    queryset = Deployment.objects.select_related("service").filter(
        service__in=[s.pk for s in incident.services.all()]
    )
    if text:
        queryset = queryset.filter(
            Q(version__icontains=text)
            | Q(commit_sha__istartswith=text.lower())
            | Q(service__slug__icontains=text)
        )
    return queryset.order_by(F("finished_at").desc(nulls_last=True), "-id")[:limit]


def people() -> QuerySet[User]:
    """People who may hold an incident role: active, with a person role, and not
    an API token's user (a token may hold a person role too)."""
    return (
        active_people()
        .filter(
            Q(is_superuser=True)
            | Q(groups__name__in=[Role.VIEWER, Role.RESPONDER, Role.ADMIN])
        )
        .distinct()
        .order_by("username")
    )
