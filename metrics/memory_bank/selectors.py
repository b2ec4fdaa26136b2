"""Reads behind the memory-bank files. Everything that can grow with history is
aggregated in the database or limited; restricted incidents are left out of every
row (the files show them only as a count). ApiToken and webhook settings are never
read here."""

from datetime import UTC, datetime

from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncMonth

from incidents.models import (
    ActionItem,
    Deployment,
    Incident,
    Postmortem,
    PostmortemRevision,
    Service,
    TimelineEntry,
)
from metrics.models import SLO, FreezeOverride, SLIEvent


def latest_change() -> datetime | None:
    """The latest change time anywhere in the record (the files' "data as of")."""
    candidates = [
        Deployment.objects.aggregate(m=Max("updated_at"))["m"],
        Incident.objects.aggregate(m=Max("updated_at"))["m"],
        Postmortem.objects.aggregate(m=Max("updated_at"))["m"],
        PostmortemRevision.objects.aggregate(m=Max("created_at"))["m"],
        ActionItem.objects.aggregate(m=Max("created_at"), n=Max("completed_at")),
        TimelineEntry.objects.aggregate(m=Max("created_at"))["m"],
        Service.objects.aggregate(m=Max("created_at"))["m"],
        SLO.objects.aggregate(m=Max("created_at"))["m"],
        SLIEvent.objects.aggregate(m=Max("created_at"))["m"],
        FreezeOverride.objects.aggregate(m=Max("created_at"))["m"],
    ]
    action = candidates.pop(4)
    candidates.extend([action["m"], action["n"]])
    present = [moment for moment in candidates if moment is not None]
    return max(present) if present else None


def services() -> list[Service]:
    return list(Service.objects.select_related("team").order_by("slug"))


def slos() -> list[SLO]:
    return list(SLO.objects.select_related("service").order_by("service__slug", "name"))


def deployment_channels() -> list[dict]:
    """(service, environment, source) -> count and latest finish: one scan."""
    return list(
        Deployment.objects.values("service_id", "environment", "source")
        .annotate(n=Count("id"), last=Max("finished_at"))
        .order_by("service_id", "environment", "source")
    )


def recent_production_deployments(service: Service, *, limit: int) -> list:
    if limit <= 0:
        return []
    return list(
        Deployment.objects.production()
        .finished()
        .filter(service=service)
        .select_related("rollback_of")
        .order_by("-finished_at", "-id")[:limit]
    )


def recent_rollbacks(service: Service, *, limit: int) -> list:
    if limit <= 0:
        return []
    return list(
        Deployment.objects.production()
        .finished()
        .filter(service=service)
        .filter(Q(status=Deployment.Status.ROLLED_BACK) | Q(rollback_of__isnull=False))
        .select_related("rollback_of")
        .order_by("-finished_at", "-id")[:limit]
    )


def monthly_deployments(*, before: datetime) -> list[dict]:
    """Finished production deployments per service and month."""
    return list(
        Deployment.objects.production()
        .finished()
        .filter(finished_at__lt=before)
        .annotate(month=TruncMonth("finished_at", tzinfo=UTC))
        .values("service_id", "month")
        .annotate(
            total=Count("id"),
            failed=Count("id", filter=Q(status=Deployment.Status.FAILURE)),
            rolled_back=Count("id", filter=Q(status=Deployment.Status.ROLLED_BACK)),
            rollbacks=Count("id", filter=Q(rollback_of__isnull=False)),
            hotfixes=Count("id", filter=Q(is_hotfix=True)),
        )
        .order_by("service_id", "month")
    )


def visible_incidents():
    return Incident.objects.filter(is_restricted=False)


def restricted_incident_count() -> int:
    return Incident.objects.filter(is_restricted=True).count()


def incident_source_counts(*, since: datetime, before: datetime) -> list[dict]:
    return list(
        visible_incidents()
        .filter(started_at__gte=since, started_at__lt=before)
        .values("source")
        .annotate(n=Count("id"))
        .order_by("source")
    )


def alert_group_counts(*, since: datetime, before: datetime, limit: int) -> list[dict]:
    return list(
        visible_incidents()
        .filter(started_at__gte=since, started_at__lt=before)
        .exclude(alert_group_key="")
        .values("alert_group_key")
        .annotate(n=Count("id"), last=Max("started_at"))
        .order_by("-n", "alert_group_key")[:limit]
    )


def open_incidents(*, limit: int) -> list[Incident]:
    return list(
        visible_incidents()
        .open()
        .select_related("caused_by__service", "commander", "postmortem")
        .prefetch_related("services")
        .order_by("severity", "-started_at", "-id")[:limit]
    )


def open_incident_count() -> int:
    return visible_incidents().open().count()


def resolved_incidents(*, limit: int) -> list[Incident]:
    return list(
        visible_incidents()
        .filter(status=Incident.Status.RESOLVED)
        .select_related("caused_by__service", "commander", "postmortem")
        .prefetch_related("services")
        .order_by("-started_at", "-id")[:limit]
    )


def incident_counts() -> dict[str, int]:
    qs = visible_incidents()
    return {
        "total": qs.count(),
        "open": qs.open().count(),
    }


def monthly_incidents(*, before: datetime) -> list[dict]:
    """Visible incidents per month, service and severity (by impact start)."""
    return list(
        visible_incidents()
        .filter(started_at__lt=before)
        .annotate(month=TruncMonth("started_at", tzinfo=UTC))
        .values("month", "services__slug", "severity")
        .annotate(n=Count("id"))
        .order_by("month", "services__slug", "severity")
    )


def incidents_per_service(*, since: datetime, before: datetime) -> dict[str, dict]:
    """Per service: incidents started in the window, the severe ones, the ones with a
    named causing deployment."""
    rows = (
        visible_incidents()
        .filter(started_at__gte=since, started_at__lt=before)
        .values("services__slug")
        .annotate(
            n=Count("id"),
            severe=Count(
                "id",
                filter=Q(severity__in=[Incident.Severity.SEV1, Incident.Severity.SEV2]),
            ),
            caused=Count("id", filter=Q(caused_by__isnull=False)),
        )
    )
    return {row["services__slug"]: row for row in rows if row["services__slug"]}


def causing_services(*, since: datetime, before: datetime) -> list[dict]:
    """Services whose deployments are named as the cause, with counts."""
    return list(
        visible_incidents()
        .filter(started_at__gte=since, started_at__lt=before)
        .exclude(caused_by__isnull=True)
        .values("caused_by__service__slug")
        .annotate(n=Count("id"), last=Max("started_at"))
        .order_by("-n", "caused_by__service__slug")
    )


def postmortems_for(incident_ids: list[int]) -> list[Postmortem]:
    return list(
        Postmortem.objects.filter(incident_id__in=incident_ids)
        .select_related("incident")
        .order_by("-incident__started_at", "-incident_id")
    )


def open_action_items(*, limit: int) -> list[ActionItem]:
    """Open items of visible incidents, most overdue first, with their teams."""
    return list(
        ActionItem.objects.filter(
            status=ActionItem.Status.OPEN, postmortem__incident__is_restricted=False
        )
        .select_related("owner", "postmortem__incident")
        .prefetch_related("postmortem__incident__services__team")
        .order_by(F("due_date").asc(nulls_last=True), "priority", "id")[:limit]
    )


def open_action_item_counts(*, today) -> dict[str, int]:
    qs = ActionItem.objects.filter(
        status=ActionItem.Status.OPEN, postmortem__incident__is_restricted=False
    )
    return {
        "open": qs.count(),
        "overdue": qs.filter(due_date__lt=today).count(),
    }
