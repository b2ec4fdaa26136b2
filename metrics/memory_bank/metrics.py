"""CLAUDE-metrics.md: DORA figures with bands for the last 30 and 90 days, overall and
per service, a weekly trend, and SLO status with error budgets, burn rates and
freezes."""

from dataclasses import dataclass

from django.conf import settings

from metrics import dora

from . import selectors
from .context import ExportContext
from .render import (
    about_section,
    app_link,
    duration,
    front_matter,
    iso,
    md_link,
    number,
    percent,
    table,
)

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
    year = settings.DORA_BENCHMARK_YEAR
    overall = {
        days: dora.dora_report(
            start=ctx.window_start(days), end=ctx.window_end, benchmark_year=year
        )
        for days in (30, 90)
    }
    per_service = {
        days: {
            s.slug: dora.dora_report(
                start=ctx.window_start(days),
                end=ctx.window_end,
                service=s.slug,
                benchmark_year=year,
            )
            for s in services
        }
        for days in (30, 90)
    }
    most_weeks = LEVELS[0].trend_weeks
    trend = dora.weekly_trend(
        start=ctx.window_end - _weeks(most_weeks), end=ctx.window_end
    )
    return {
        "services": services,
        "overall": overall,
        "per_service": per_service,
        "trend": trend,
        "slos": selectors.slos(),
        "benchmark_year": year,
    }


def _weeks(count: int):
    from datetime import timedelta

    return timedelta(weeks=count)
