"""What the metrics page shows: the report, its weekly trend and their explanations."""

from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from incidents.models import Service, Team

from . import display
from .bands import SUPPORTED_YEARS
from .cache import cached
from .params import WINDOW_CHOICES, DoraRequest
from .report import dora_report, weekly_trend

# Bump when the cached value changes shape, so that old entries are not misread.
CACHE_FORMAT = 2

EXPLANATIONS = {
    "deployment_frequency": (
        "How often changes reach production: completed production deployments "
        "(success or rolled back) that finished in the window, per day and per week. "
        "The band looks at deploy days: in each whole Monday-to-Sunday week of the "
        "window (in the team's time zone), on how many days something was deployed; "
        "the middle week counts. Five or more is elite, one or more is high."
    ),
    "lead_time": (
        "How long a change waits between being committed and running in "
        "production: for each commit, the time from its commit to the first "
        "completed production deployment of its service that ships it. Commits "
        "whose first such deployment finished in the window count; a commit "
        "dated after its deployment (clock skew, rebased history) is left out and "
        "counted separately."
    ),
    "change_failure_rate": (
        "The share of production deployments that went wrong: a deployment failed "
        "when it ended in failure, was rolled back, or caused an incident, either "
        "named on the incident or inferred as the latest production deployment of "
        "an affected service shortly before the incident began. A deployment counts "
        "once however many incidents it caused."
    ),
    "failed_deployment_recovery_time": (
        "For each failed deployment, the time until the service was healthy "
        "again: the earlier of all its incidents being resolved and the next "
        "completed deployment of that service and environment. Failures with "
        "neither are still open."
    ),
    "time_to_restore": (
        "The classic mean time to restore: from the start of impact to resolution, "
        "over all incidents resolved in the window, caused by a deployment or not. "
        "Beside it, how long detection and acknowledgement took."
    ),
    "rework_rate": (
        "The share of production deployments that were unplanned: rollbacks and "
        "hotfixes among all finished production deployments in the window."
    ),
}


def _link(kind: str, request: DoraRequest) -> str:
    query = {"start": request.start.isoformat(), "end": request.end.isoformat()}
    if request.service:
        query["service"] = request.service
    if request.team:
        query["team"] = request.team
    return reverse("metrics:records", args=[kind]) + "?" + urlencode(query)


def _cards(report: dict, trend: list[dict], request: DoraRequest) -> list[dict]:
    frequency = report["deployment_frequency"]
    lead = report["lead_time"]
    failures = report["change_failure_rate"]
    recovery = report["failed_deployment_recovery_time"]
    restore = report["time_to_restore"]
    rework = report["rework_rate"]
    duration = display.duration
    return [
        {
            "key": "deployment_frequency",
            "title": "Deployment frequency",
            "headline": f"{display.number(frequency['per_day'])} per day",
            "details": [
                f"{display.number(frequency['per_week'])} per week",
                "median deploy days per week: "
                f"{display.number(frequency['deploy_days_per_week_median'])} over "
                f"{frequency['whole_weeks']} whole weeks",
            ],
            "sample": _count(frequency["count"], "deployment"),
            "band": frequency["band"],
            "link": _link("deployments", request),
            "chart": display.weekly_chart(
                trend, "deployments", title="Deployments per week", formatter=str
            ),
        },
        {
            "key": "lead_time",
            "title": "Lead time for changes",
            "headline": f"median {duration(lead['median_seconds'])}",
            "details": [
                f"90th percentile {duration(lead['p90_seconds'])}",
                _count(lead["excluded_negative"], "commit")
                + " with negative lead time left out",
            ],
            "sample": _count(lead["count"], "commit"),
            "band": lead["band"],
            "link": _link("commits", request),
            "chart": display.weekly_chart(
                trend,
                "lead_time_median_seconds",
                title="Median lead time per week",
                formatter=duration,
            ),
        },
        {
            "key": "change_failure_rate",
            "title": "Change failure rate",
            "headline": display.rate(failures["value"]),
            "details": [f"{failures['failed']} failed of {failures['total']}"],
            "sample": _count(failures["total"], "deployment"),
            "band": failures["band"],
            "link": _link("failures", request),
            "chart": display.weekly_chart(
                trend,
                "change_failure_rate",
                title="Change failure rate per week",
                formatter=display.rate,
            ),
        },
        {
            "key": "failed_deployment_recovery_time",
            "title": "Failed deployment recovery time",
            "headline": f"median {duration(recovery['median_seconds'])}",
            "details": [
                f"mean {duration(recovery['mean_seconds'])}",
                f"{recovery['open']} failures not yet recovered",
            ],
            "sample": f"{recovery['count']} recovered failures",
            "band": recovery["band"],
            "link": _link("recovery", request),
            "chart": display.weekly_chart(
                trend,
                "recovery_median_seconds",
                title="Median recovery time per week",
                formatter=duration,
            ),
        },
        {
            "key": "time_to_restore",
            "title": "Time to restore service",
            "headline": f"median {duration(restore['median_seconds'])}",
            "details": [
                f"mean {duration(restore['mean_seconds'])}",
                "time to detect: median "
                f"{duration(restore['time_to_detect']['median_seconds'])} "
                f"({restore['time_to_detect']['count']} incidents)",
                "time to acknowledge: median "
                f"{duration(restore['time_to_acknowledge']['median_seconds'])} "
                f"({restore['time_to_acknowledge']['count']} incidents)",
            ],
            "sample": _count(restore["count"], "incident"),
            "band": None,
            "link": _link("incidents", request),
            "chart": display.weekly_chart(
                trend,
                "time_to_restore_median_seconds",
                title="Median time to restore per week",
                formatter=duration,
            ),
        },
        {
            "key": "rework_rate",
            "title": "Deployment rework rate",
            "headline": display.rate(rework["value"]),
            "details": [
                f"{rework['count']} rollbacks or hotfixes of {rework['total']}"
            ],
            "sample": _count(rework["total"], "deployment"),
            "band": None,
            "link": _link("rework", request),
            "chart": display.weekly_chart(
                trend,
                "rework_rate",
                title="Rework rate per week",
                formatter=display.rate,
            ),
        },
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _identity(request: DoraRequest) -> dict:
    return {"format": CACHE_FORMAT, **request.cache_identity}


def _figures(request: DoraRequest) -> dict:
    report = dora_report(**request.as_kwargs(), benchmark_year=request.benchmark_year)
    trend = weekly_trend(**request.as_kwargs())
    cards = _cards(report, trend, request)
    for card in cards:
        card["explanation"] = EXPLANATIONS[card["key"]]
    # The cards are the same for every viewer of these figures, so they are rendered
    # once and cached with them; each page view renders only its frame.
    cards_html = render_to_string(
        "metrics/_cards.html", {"cards": cards, "report": report}
    )
    return {"report": report, "cards_html": str(cards_html)}


def dashboard_context(request: DoraRequest) -> dict:
    figures = cached(_identity(request), lambda: _figures(request))
    return {
        "report": figures["report"],
        "cards_html": mark_safe(figures["cards_html"]),  # rendered by our template
        "request": request,
        "window_choices": WINDOW_CHOICES,
        "benchmark_years": SUPPORTED_YEARS,
        "services": list(Service.objects.order_by("slug").values_list("slug", "name")),
        "teams": list(Team.objects.order_by("slug").values_list("slug", "name")),
    }
