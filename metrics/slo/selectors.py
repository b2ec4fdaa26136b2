"""Reads behind budgets and the gate. Each helper is one query, whatever the number
of SLOs, so that the gate stays a handful of queries."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from incidents.models import Incident, Service

from ..models import SLO, FreezeOverride, SLIEvent
from .budget import Impact, Measurement

IncidentServices = Incident.services.through


def impacts_by_service(
    service_ids: Iterable[int], *, since: datetime, until: datetime
) -> dict[int, list[Impact]]:
    """Incidents that touch ``[since, until)`` for each service."""
    rows = (
        IncidentServices.objects.filter(
            service_id__in=list(service_ids), incident__started_at__lt=until
        )
        .filter(
            Q(incident__resolved_at__isnull=True) | Q(incident__resolved_at__gt=since)
        )
        .values_list(
            "service_id",
            "incident__started_at",
            "incident__resolved_at",
            "incident__impact_percent",
        )
    )
    found: dict[int, list[Impact]] = defaultdict(list)
    for service_id, start, end, percent in rows:
        found[service_id].append(Impact(start=start, end=end, percent=float(percent)))
    return found


def measurements_by_slo(
    slo_ids: Iterable[int], *, since: datetime, until: datetime
) -> dict[int, list[Measurement]]:
    rows = (
        SLIEvent.objects.filter(
            slo_id__in=list(slo_ids), end__gt=since, start__lt=until
        )
        .order_by()
        .values_list("slo_id", "start", "end", "good", "total")
    )
    found: dict[int, list[Measurement]] = defaultdict(list)
    for slo_id, start, end, good, total in rows:
        found[slo_id].append(Measurement(start=start, end=end, good=good, total=total))
    return found


def slos_with_service(**filters) -> list[SLO]:
    return list(
        SLO.objects.filter(**filters).select_related("service").order_by("name", "id")
    )


def active_override(service: Service, *, now: datetime) -> FreezeOverride | None:
    return (
        FreezeOverride.objects.filter(service=service, expires_at__gt=now)
        .select_related("created_by")
        .order_by("-expires_at")
        .first()
    )


def override_history(service: Service, *, limit: int = 10) -> list[FreezeOverride]:
    return list(
        FreezeOverride.objects.filter(service=service)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:limit]
    )
