"""The DORA report and its weekly trend, assembled from the aggregates in queries."""

import statistics
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from incidents.errors import DomainError
from incidents.models import Service, Team

from . import bands
from .queries import Bucket, DoraQueries, Scope

# Bump when a definition changes, so that stored or exported figures can be told apart.
DEFINITION_VERSION = "2026.1"


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def resolve_scope(*, service: str | None, team: str | None) -> Scope:
    """The services a report covers; an unknown slug is refused naming its field."""
    ids: set[int] | None = None
    if service:
        found = set(Service.objects.filter(slug=service).values_list("id", flat=True))
        if not found:
            raise DomainError(f"There is no service {service!r}.", field="service")
        ids = found
    if team:
        if not Team.objects.filter(slug=team).exists():
            raise DomainError(f"There is no team {team!r}.", field="team")
        members = set(
            Service.objects.filter(team__slug=team).values_list("id", flat=True)
        )
        ids = members if ids is None else ids & members
    return Scope(service_ids=None if ids is None else sorted(ids))


def check_window(start: datetime, end: datetime) -> None:
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise DomainError("Give a time with a zone.", field=name)
    if start >= end:
        raise DomainError("The window must end after it starts.", field="end")


def benchmark_year_or_default(year: int | None) -> int:
    year = settings.DORA_BENCHMARK_YEAR if year is None else year
    if year not in bands.SUPPORTED_YEARS:
        years = ", ".join(str(y) for y in bands.SUPPORTED_YEARS)
        raise DomainError(
            f"No benchmark for {year}; choose one of {years}.", field="benchmark"
        )
    return year


# --- ISO weeks in the team's zone -----------------------------------------------------


def _team_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # Midnight of a local date as a UTC instant; weeks around a DST change are then
    # 167 or 169 hours long, as they should be.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def iso_weeks(start: datetime, end: datetime, *, whole_only: bool) -> list[tuple]:
    """(local Monday, week start, week end, whole) for the ISO weeks that lie wholly
    inside the window, or with ``whole_only=False`` every week touching it, clipped
    (``whole`` is False for a clipped one)."""
    zone = _team_zone()
    first = start.astimezone(zone).date()
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while True:
        week_start = _local_midnight(monday, zone)
        week_end = _local_midnight(monday + timedelta(days=7), zone)
        if week_start >= end:
            return weeks
        inside = week_start >= start and week_end <= end
        if inside or not whole_only:
            weeks.append((monday, max(week_start, start), min(week_end, end), inside))
        monday += timedelta(days=7)


def _days_in_week(monday: date, days: set[date]) -> int:
    return sum(1 for offset in range(7) if monday + timedelta(days=offset) in days)


# --- the report -----------------------------------------------------------------------


def _none_if_empty(count: int, value):
    return value if count else None


def _deployment_frequency(*, start, end, count: int, days: set[date]) -> dict:
    window_days = (end - start).total_seconds() / 86400
    weeks = iso_weeks(start, end, whole_only=True)
    median = None
    if count and weeks:
        median = statistics.median(_days_in_week(monday, days) for monday, *_ in weeks)
    return {
        "per_day": _none_if_empty(count, count / window_days),
        "per_week": _none_if_empty(count, count / (window_days / 7)),
        "deploy_days_per_week_median": median,
        "deploy_days": len(days),
        "whole_weeks": len(weeks),
        "band": None,
        "count": count,
    }


def _band_2023(report: dict) -> None:
    frequency = report["deployment_frequency"]
    if frequency["deploy_days_per_week_median"] is not None:
        frequency["band"] = bands.deploy_frequency_2023(
            deploy_days_median=frequency["deploy_days_per_week_median"],
            deploy_days=frequency["deploy_days"],
            window_days=report["window"]["days"],
        )
    rules = (
        ("lead_time", "median_seconds", bands.lead_time_2023),
        ("change_failure_rate", "value", bands.change_failure_rate_2023),
        ("failed_deployment_recovery_time", "median_seconds", bands.recovery_time_2023),
    )
    for metric, key, rule in rules:
        value = report[metric][key]
        report[metric]["band"] = None if value is None else rule(value)


def _band_2024(report: dict) -> None:
    frequency = report["deployment_frequency"]
    figures = {
        # Like 2023, a window without a whole ISO week gets no frequency band.
        "deployment_frequency": frequency["per_day"]
        if frequency["deploy_days_per_week_median"] is not None
        else None,
        "lead_time": report["lead_time"]["median_seconds"],
        "change_failure_rate": report["change_failure_rate"]["value"],
        "failed_deployment_recovery_time": report["failed_deployment_recovery_time"][
            "median_seconds"
        ],
    }
    for metric, band in bands.bands_2024(figures).items():
        report[metric]["band"] = band
    report["profile"] = bands.profile_2024(figures)


def _spread(row, offset: int = 0) -> dict:
    median, mean, count = (row[offset : offset + 3]) if row else (None, None, 0)
    return {
        "median_seconds": _float(median),
        "mean_seconds": _float(mean),
        "count": int(count or 0),
    }


def _float(value) -> float | None:
    return None if value is None else float(value)


def dora_report(
    *,
    start: datetime,
    end: datetime,
    service: str | None = None,
    team: str | None = None,
    benchmark_year: int | None = None,
) -> dict:
    """Every DORA figure for ``[start, end)`` over the production environments, in
    the shape of ``GET /api/metrics/dora/`` (DESIGN.md, "Metric definitions")."""
    check_window(start, end)
    year = benchmark_year_or_default(benchmark_year)
    scope = resolve_scope(service=service, team=team)
    queries = DoraQueries(scope=scope, buckets=[Bucket(0, start, end)])

    deploy_days = queries.deploy_days(settings.TIME_ZONE)
    lead = queries.lead_time().get(0)
    failures = queries.failures().get(0)
    restore = queries.time_to_restore().get(0)

    count = sum(n for _, _, n in deploy_days)
    days = {date.fromisoformat(day) for _, day, _ in deploy_days}
    total, failed, rework = (
        (int(v or 0) for v in failures[:3]) if failures else (0, 0, 0)
    )
    lead_count = int(lead[2]) if lead else 0
    recovered = _spread(failures, 3) if failures else _spread(None)
    report = {
        "deployment_frequency": _deployment_frequency(
            start=start, end=end, count=count, days=days
        ),
        "lead_time": {
            "median_seconds": _float(lead[0]) if lead else None,
            "p90_seconds": _float(lead[1]) if lead else None,
            "count": lead_count,
            "excluded_negative": int(lead[3]) if lead else 0,
            "band": None,
        },
        "change_failure_rate": {
            "value": failed / total if total else None,
            "failed": failed,
            "total": total,
            "band": None,
        },
        "failed_deployment_recovery_time": {
            **recovered,
            "open": int(failures[6] or 0) if failures else 0,
            "band": None,
        },
        "time_to_restore": {
            **_spread(restore, 0),
            "time_to_detect": _spread(restore, 3),
            "time_to_acknowledge": _spread(restore, 6),
        },
        "rework_rate": {
            "value": rework / total if total else None,
            "count": rework,
            "total": total,
        },
        "window": {
            "start": _iso(start),
            "end": _iso(end),
            "days": (end - start).total_seconds() / 86400,
            "time_zone": settings.TIME_ZONE,
        },
        "scope": {"service": service or None, "team": team or None},
        "benchmark_year": year,
        # The nearest cluster over all keys, for the cluster-based (2024) tables.
        "profile": None,
        "definition_version": DEFINITION_VERSION,
    }
    _band_2023(report) if year == 2023 else _band_2024(report)
    return report


def weekly_trend(
    *,
    start: datetime,
    end: datetime,
    service: str | None = None,
    team: str | None = None,
) -> list[dict]:
    """The main figures per ISO week (in the team's zone) touching the window; weeks
    cut by the window's edges are marked ``partial`` and cover only their inside."""
    check_window(start, end)
    scope = resolve_scope(service=service, team=team)
    weeks = iso_weeks(start, end, whole_only=False)
    buckets = [Bucket(i, s, e) for i, (_, s, e, _) in enumerate(weeks)]
    queries = DoraQueries(scope=scope, buckets=buckets)

    per_week_days: dict[int, set[str]] = {}
    per_week_count: dict[int, int] = {}
    for idx, day, n in queries.deploy_days(settings.TIME_ZONE):
        per_week_days.setdefault(idx, set()).add(day)
        per_week_count[idx] = per_week_count.get(idx, 0) + n
    lead = queries.lead_time()
    failures = queries.failures()
    restore = queries.time_to_restore()

    trend = []
    for bucket, (monday, _, _, whole) in zip(buckets, weeks, strict=True):
        i = bucket.index
        total = int(failures[i][0]) if i in failures else 0
        failed = int(failures[i][1] or 0) if i in failures else 0
        rework = int(failures[i][2] or 0) if i in failures else 0
        trend.append(
            {
                "week": monday.isoformat(),
                "start": _iso(bucket.start),
                "end": _iso(bucket.end),
                # Not by length: a whole week is 167 or 169 hours across DST.
                "partial": not whole,
                "deployments": per_week_count.get(i, 0),
                "deploy_days": len(per_week_days.get(i, ())),
                "lead_time_median_seconds": _float(lead[i][0]) if i in lead else None,
                "lead_time_count": int(lead[i][2]) if i in lead else 0,
                "change_failure_rate": failed / total if total else None,
                "failed": failed,
                "finished": total,
                "recovery_median_seconds": _float(failures[i][3])
                if i in failures
                else None,
                "recovered": int(failures[i][5] or 0) if i in failures else 0,
                "time_to_restore_median_seconds": _float(restore[i][0])
                if i in restore
                else None,
                "restored": int(restore[i][2]) if i in restore else 0,
                "rework_rate": rework / total if total else None,
            }
        )
    return trend
