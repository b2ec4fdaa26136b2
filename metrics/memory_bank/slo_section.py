"""The SLO part of CLAUDE-metrics.md.

Until SLO status is computed by metrics (error budgets, burn rates, freezes), this
section states each SLO's definition from the SLO table and says that the live status
is not part of the export."""

from .context import ExportContext
from .render import number, table


def slo_section(ctx: ExportContext, slos: list) -> str:
    rows = [
        (
            slo.service.slug,
            slo.name,
            f"{number(slo.target_percent)}%",
            slo.window_days,
            _budget_minutes(slo),
            f"{number(slo.freeze_threshold * 100)}%",
        )
        for slo in slos
    ]
    return (
        "## SLOs, error budgets and freezes\n\n"
        "Budget minutes = window minutes x (1 - target). When the consumed share of "
        'the budget passes the freeze threshold, the deploy gate answers "freeze" for '
        "that service.\n\n"
        + table(
            [
                "Service",
                "SLO",
                "Target",
                "Window (days)",
                "Budget (minutes)",
                "Freeze at budget used",
            ],
            rows,
        )
    )


def _budget_minutes(slo) -> str:
    minutes = slo.window_days * 24 * 60 * (100 - slo.target_percent) / 100
    return f"{minutes:.1f}"
