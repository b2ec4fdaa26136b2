"""The SLO part of CLAUDE-metrics.md: each SLO's error budget and burn rates, and the
services whose deploy gate is frozen (with any override in force), all evaluated at
the context's ``evaluated_at`` by metrics.slo."""

from django.conf import settings

from metrics.slo import gate, slo_statuses

from .context import ExportContext
from .render import clip, iso, number, percent, table


def gather_slos(ctx: ExportContext, slos: list) -> dict:
    budgets = slo_statuses(slos, now=ctx.evaluated_at)
    frozen_services = sorted({b.service for b in budgets if b.frozen})
    environment = settings.PRODUCTION_ENVIRONMENTS[0]
    return {
        "budgets": budgets,
        "gates": [
            gate(slug, environment, now=ctx.evaluated_at) for slug in frozen_services
        ],
    }


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def slo_section(ctx: ExportContext, data: dict) -> str:
    rows = [
        (
            b.service,
            b.name,
            f"{number(b.target_percent)}%",
            b.window_days,
            f"{b.budget_minutes:.1f}",
            f"{b.consumed_minutes:.1f}",
            percent(b.consumed_share),
            f"{b.remaining_minutes:.1f}",
            _rate(b.burn_rate),
            _rate(b.burn_rate_1h),
            _rate(b.burn_rate_6h),
            percent(b.freeze_threshold, digits=0),
            b.state,
        )
        for b in sorted(data["budgets"], key=lambda b: (b.service, b.name, b.slo_id))
    ]
    return (
        "## SLOs, error budgets and freezes\n\n"
        f"Evaluated at {iso(ctx.evaluated_at)} over each SLO's rolling window. "
        "Budget minutes = window minutes x (1 - target); consumed = minutes of "
        "incident impact weighted by impact percent (overlaps merged). Burn rate = "
        "consumed share / elapsed share of the window (1h and 6h: the pace over the "
        "last hour and six hours). Past its freeze threshold an SLO freezes the "
        "deploy gate of its service.\n\n"
        + table(
            [
                "Service",
                "SLO",
                "Target",
                "Window (days)",
                "Budget (min)",
                "Consumed (min)",
                "Consumed",
                "Remaining (min)",
                "Burn rate",
                "Burn 1h",
                "Burn 6h",
                "Freeze at",
                "State",
            ],
            rows,
        )
        + "\n"
        + _freezes(data["gates"])
    )


def _freezes(decisions: list) -> str:
    rows = []
    for decision in decisions:
        override = decision.override
        rows.append(
            (
                decision.service,
                "allowed (override)" if decision.allowed else "frozen",
                clip(override.reason, 200) if override else None,
                override.expires_at if override else None,
                " ".join(
                    r for r in decision.reasons if not r.startswith("Freeze over")
                ),
            )
        )
    return "### Deploy freezes\n\n" + table(
        ["Service", "Gate", "Override reason", "Override expires", "Why"], rows
    )
