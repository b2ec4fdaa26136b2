"""CLAUDE-metrics.md: DORA figures with bands for the last 30 and 90 days, overall and
per service, a weekly trend, and SLO status with error budgets, burn rates and
freezes."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from metrics.dora import DEFINITION_VERSION, dora_report, weekly_trend

from . import selectors
from .context import WINDOWS_DAYS, ExportContext
from .render import about_section, app_link, duration, front_matter, percent, table
from .slo_section import gather_slos, slo_section

FILE_NAME = "CLAUDE-metrics.md"


@dataclass(frozen=True)
class Detail:
    per_service_windows: tuple[int, ...]
    trend_weeks: int


LEVELS = (
    Detail((30, 90), 26),
    Detail((30, 90), 12),
    Detail((90,), 12),
    Detail((90,), 6),
    Detail((), 4),
)


def render(ctx: ExportContext) -> str:
    data = _gather(ctx)
    for detail in LEVELS:
        text = _render(ctx, data, detail)
        if len(text.encode()) <= ctx.max_bytes:
            break
    return text


def _gather(ctx: ExportContext) -> dict:
    services = selectors.services()
    slos = selectors.slos()
    year = settings.DORA_BENCHMARK_YEAR

    def report(days: int, service: str | None = None) -> dict:
        return dora_report(
            start=ctx.window_start(days),
            end=ctx.window_end,
            service=service,
            benchmark_year=year,
        )

    weeks = LEVELS[0].trend_weeks
    return {
        "services": services,
        "overall": {days: report(days) for days in WINDOWS_DAYS},
        "per_service": {
            days: {s.slug: report(days, s.slug) for s in services}
            for days in WINDOWS_DAYS
        },
        "trend": weekly_trend(
            start=ctx.window_end - timedelta(weeks=weeks), end=ctx.window_end
        ),
        "slos": slos,
        "slo_status": gather_slos(ctx, slos),
        "benchmark_year": year,
    }


def _render(ctx: ExportContext, data: dict, detail: Detail) -> str:
    overall = data["overall"]
    parts = [
        front_matter(
            {
                "schema_version": 1,
                "file": FILE_NAME,
                "title": "Hindsight delivery metrics briefing",
                "generated_at": ctx.data_as_of,
                "data_as_of": ctx.data_as_of,
                "window": ctx.window(90),
                "windows_days": "30, 90",
                "benchmark_year": data["benchmark_year"],
                "definition_version": DEFINITION_VERSION,
                "counts": {
                    "services": len(data["services"]),
                    "slos": len(data["slos"]),
                    "deployments_30d": overall[30]["deployment_frequency"]["count"],
                    "deployments_90d": overall[90]["deployment_frequency"]["count"],
                    "finished_deployments_90d": overall[90]["change_failure_rate"][
                        "total"
                    ],
                },
                "hindsight_url": app_link("/metrics/"),
            }
        ),
        about_section(
            "Delivery metrics",
            [
                "DORA's four keys plus time to restore and rework rate, over the "
                "production environments, for the 30 and 90 days ending "
                f"{ctx.window_end.isoformat().replace('+00:00', 'Z')} (exclusive), "
                f"with {data['benchmark_year']} benchmark bands; then SLOs.",
                "Every figure comes with its sample size; `–` means no data (never "
                "zero). Services are ordered by slug, weeks oldest first. Definitions: "
                f"{app_link('/metrics/')} and DESIGN.md, definition version "
                f"{DEFINITION_VERSION}.",
            ],
        ),
        _overall_section(overall),
        *(
            _service_section(days, data)
            for days in WINDOWS_DAYS
            if days in detail.per_service_windows
        ),
        _trend_section(data["trend"][-detail.trend_weeks :]),
        slo_section(ctx, data["slo_status"]),
    ]
    if not detail.per_service_windows:
        parts.insert(
            3,
            "## DORA per service\n\nLeft out to keep this file within its size bound; "
            f"see {app_link('/metrics/')}.\n",
        )
    return "\n".join(parts)


def _frequency(report: dict) -> str:
    figure = report["deployment_frequency"]
    if not figure["count"]:
        return "– (0 deployments)"
    median = figure["deploy_days_per_week_median"]
    days = "–" if median is None else f"{median:g}"
    return (
        f"{figure['per_week']:.2f}/week, {figure['per_day']:.2f}/day "
        f"({figure['count']} deployments; median deploy days/week {days})"
    )


def _lead_time(report: dict) -> str:
    figure = report["lead_time"]
    if not figure["count"]:
        return "– (0 commits)"
    return (
        f"median {duration(figure['median_seconds'])}, p90 "
        f"{duration(figure['p90_seconds'])} ({figure['count']} commits, "
        f"{figure['excluded_negative']} negative left out)"
    )


def _failure_rate(report: dict) -> str:
    figure = report["change_failure_rate"]
    return f"{percent(figure['value'])} ({figure['failed']}/{figure['total']})"


def _recovery(report: dict) -> str:
    figure = report["failed_deployment_recovery_time"]
    return (
        f"median {duration(figure['median_seconds'])}, mean "
        f"{duration(figure['mean_seconds'])} ({figure['count']} recovered, "
        f"{figure['open']} open)"
    )


def _restore(report: dict) -> str:
    figure = report["time_to_restore"]
    return (
        f"median {duration(figure['median_seconds'])}, mean "
        f"{duration(figure['mean_seconds'])} ({figure['count']} incidents)"
    )


def _rework(report: dict) -> str:
    figure = report["rework_rate"]
    return f"{percent(figure['value'])} ({figure['count']}/{figure['total']})"


_METRICS = (
    ("Deployment frequency", _frequency, "deployment_frequency"),
    ("Lead time for changes", _lead_time, "lead_time"),
    ("Change failure rate", _failure_rate, "change_failure_rate"),
    ("Failed deployment recovery time", _recovery, "failed_deployment_recovery_time"),
    ("Time to restore service", _restore, None),
    ("Deployment rework rate", _rework, None),
)


def _band(report: dict, key: str | None) -> str | None:
    return report[key].get("band") if key else None


def _overall_section(overall: dict) -> str:
    rows = [
        (
            label,
            figure(overall[30]),
            _band(overall[30], key),
            figure(overall[90]),
            _band(overall[90], key),
        )
        for label, figure, key in _METRICS
    ]
    return "## DORA, all services\n\n" + table(
        ["Metric", "Last 30 days", "Band (30 d)", "Last 90 days", "Band (90 d)"], rows
    )


def _service_section(days: int, data: dict) -> str:
    reports = data["per_service"][days]
    rows = []
    for service in data["services"]:
        report = reports[service.slug]
        bands = "/".join(
            (_band(report, key) or "–") for _, _, key in _METRICS if key is not None
        )
        rows.append(
            (
                service.slug,
                _frequency(report),
                _lead_time(report),
                _failure_rate(report),
                _recovery(report),
                _restore(report),
                _rework(report),
                bands,
            )
        )
    return (
        f"## DORA per service, last {days} days\n\n"
        "Bands are given as deployment frequency / lead time / change failure rate / "
        "recovery time.\n\n"
        + table(
            [
                "Service",
                "Deployment frequency",
                "Lead time",
                "Change failure rate",
                "Failed deployment recovery",
                "Time to restore",
                "Rework rate",
                "Bands",
            ],
            rows,
        )
    )


def _trend_section(weeks: list[dict]) -> str:
    rows = [
        (
            week["week"] + (" (partial)" if week["partial"] else ""),
            week["deployments"],
            week["deploy_days"],
            duration(week["lead_time_median_seconds"]),
            f"{percent(week['change_failure_rate'])} "
            f"({week['failed']}/{week['finished']})",
            duration(week["recovery_median_seconds"]),
            duration(week["time_to_restore_median_seconds"]),
            percent(week["rework_rate"]),
        )
        for week in weeks
    ]
    return (
        f"## Weekly trend, all services (last {len(weeks)} ISO weeks)\n\n"
        "Weeks start on Monday in the team's time zone; oldest first.\n\n"
        + table(
            [
                "Week",
                "Deployments",
                "Deploy days",
                "Lead time (median)",
                "Change failure rate",
                "Recovery (median)",
                "Time to restore (median)",
                "Rework rate",
            ],
            rows,
        )
    )
