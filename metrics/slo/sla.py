"""The SLA report: monthly availability per service against an SLA target, and the
incidents that missed the response or resolution time.

Months are calendar months in the team's zone (``TIME_ZONE``), so a month holding a
DST change has an hour more or less than 30 x 1,440 minutes, and availability is
measured over its real minutes. The current month counts up to now. Impact minutes
are merged and weighted exactly as for error budgets (see ``budget``).

A month that ended before a service's record begins (the earliest of its creation,
its first deployment and its first incident) has no figure: "no data", not 100%.
A month in which the record begins is measured from that moment.

Response time runs from detection (or impact start when detection is unknown) to
the first sign that someone acted: acknowledgement, else mitigation, else
resolution (an incident resolved without an explicit acknowledgement was responded
to). Resolution time runs from impact start to resolution. An incident still
waiting past a limit has missed it already.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents.models import Deployment, Incident, Service

from .budget import MINUTE, Impact, weighted_minutes
from .selectors import impacts_by_service

DEFAULT_TARGET = Decimal("99.5")
DEFAULT_RESPONSE = timedelta(hours=24)
DEFAULT_RESOLUTION = timedelta(hours=48)


@dataclass(frozen=True)
class Month:
    label: str  # 2025-03
    start: datetime
    end: datetime  # exclusive; now for the current month

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / MINUTE


@dataclass(frozen=True)
class MonthFigure:
    month: Month
    impact_minutes: float | None
    availability: float | None  # percent; None before the service's record begins
    met: bool | None

    @property
    def has_data(self) -> bool:
        return self.availability is not None


@dataclass(frozen=True)
class ServiceRow:
    service: Service
    months: list[MonthFigure]


@dataclass(frozen=True)
class MissedIncident:
    incident: Incident
    response: timedelta | None
    resolution: timedelta | None
    missed_response: bool
    missed_resolution: bool


@dataclass(frozen=True)
class SLAReport:
    target: Decimal
    response_limit: timedelta
    resolution_limit: timedelta
    months: list[Month]
    rows: list[ServiceRow]
    missed: list[MissedIncident]


def sla_target() -> Decimal:
    return Decimal(str(getattr(settings, "SLA_TARGET_PERCENT", DEFAULT_TARGET)))


def last_months(now: datetime, count: int = 12) -> list[Month]:
    # The team's zone, not the viewer's: everyone must see the same months.
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = []
    year, month = first.year, first.month
    for _ in range(count):
        starts.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months = []
    for index, (year, month) in enumerate(reversed(starts)):
        # In UTC: subtracting two datetimes that share a zone object ignores
        # their offsets, which would give March the wrong length across DST.
        start = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
        nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        end = now if index == count - 1 else nxt.astimezone(UTC)
        months.append(Month(label=f"{year}-{month:02d}", start=start, end=end))
    return months


def _missed(
    since: datetime,
    now: datetime,
    response: timedelta,
    resolution: timedelta,
    user=None,
) -> list[MissedIncident]:
    late = (
        Q(responded__isnull=True, reported__lt=now - response)
        | Q(responded__gt=F("reported") + response)
        | Q(resolved_at__isnull=True, started_at__lt=now - resolution)
        | Q(resolved_at__gt=F("started_at") + resolution)
    )
    visible = Incident.objects.visible_to(user) if user else Incident.objects.all()
    incidents = (
        visible.filter(started_at__gte=since, started_at__lt=now)
        .annotate(
            reported=Coalesce("detected_at", "started_at"),
            responded=Coalesce("acknowledged_at", "mitigated_at", "resolved_at"),
        )
        .filter(late)
        .prefetch_related("services")
        .order_by("-started_at", "-id")
    )
    found = []
    for incident in incidents:
        responded, resolved = incident.responded, incident.resolved_at
        found.append(
            MissedIncident(
                incident=incident,
                response=(responded - incident.reported) if responded else None,
                resolution=(resolved - incident.started_at) if resolved else None,
                missed_response=(responded or now) - incident.reported > response,
                missed_resolution=(resolved or now) - incident.started_at > resolution,
            )
        )
    return found


def _by_month(
    impacts: list[Impact], calendar: list[Month], now: datetime
) -> list[list[Impact]]:
    """The impacts overlapping each month, so that each month's sweep looks only
    at its own incidents (most last hours, so nearly all fall in one month)."""
    starts = [month.start for month in calendar]
    buckets: list[list[Impact]] = [[] for _ in calendar]
    for impact in impacts:
        end = impact.end or now
        index = max(bisect_right(starts, impact.start) - 1, 0)
        while index < len(calendar) and calendar[index].start < end:
            buckets[index].append(impact)
            index += 1
    return buckets


def record_starts(services: list[Service]) -> dict[int, datetime]:
    """When each service's record begins: the earliest of its creation, its first
    deployment and its first incident (backfilled history predates creation)."""
    starts = {service.pk: service.created_at for service in services}
    first_deployments = (
        Deployment.objects.order_by()
        .values("service_id")
        .annotate(first=Min(Coalesce("started_at", "finished_at", "created_at")))
        .values_list("service_id", "first")
    )
    first_incidents = (
        Incident.services.through.objects.order_by()
        .values("service_id")
        .annotate(first=Min("incident__started_at"))
        .values_list("service_id", "first")
    )
    for rows in (first_deployments, first_incidents):
        for service_id, first in rows:
            if service_id in starts and first is not None:
                starts[service_id] = min(starts[service_id], first)
    return starts


def _figure(
    month: Month,
    impacts: list[Impact],
    record_start: datetime,
    target: Decimal,
    now: datetime,
) -> MonthFigure:
    if record_start >= month.end:
        return MonthFigure(
            month=month, impact_minutes=None, availability=None, met=None
        )

    start = max(month.start, record_start)
    minutes = (month.end - start) / MINUTE
    used = weighted_minutes(impacts, start, month.end, now=now)
    availability = 100 * (1 - used / minutes) if minutes else 100.0
    return MonthFigure(
        month=month,
        impact_minutes=used,
        availability=availability,
        met=Decimal(str(availability)) >= target,
    )


def sla_report(
    *, now: datetime | None = None, months: int = 12, user=None
) -> SLAReport:
    """The report; with ``user``, the incidents listed are those the user may see
    (availability still counts every incident: it reveals no detail)."""
    now = now or timezone.now()
    target = sla_target()
    response = getattr(settings, "SLA_RESPONSE_TIME", DEFAULT_RESPONSE)
    resolution = getattr(settings, "SLA_RESOLUTION_TIME", DEFAULT_RESOLUTION)
    calendar = last_months(now, months)
    since = calendar[0].start

    services = list(Service.objects.order_by("slug"))
    impacts = impacts_by_service([s.pk for s in services], since=since, until=now)
    starts = record_starts(services)
    rows = []
    for service in services:
        buckets = _by_month(impacts.get(service.pk, []), calendar, now)
        figures = [
            _figure(month, bucket, starts[service.pk], target, now)
            for month, bucket in zip(calendar, buckets, strict=True)
        ]
        rows.append(ServiceRow(service=service, months=figures))

    missed = _missed(since, now, response, resolution, user)
    return SLAReport(
        target=target,
        response_limit=response,
        resolution_limit=resolution,
        months=calendar,
        rows=rows,
        missed=missed,
    )
