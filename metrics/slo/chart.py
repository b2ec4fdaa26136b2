"""A server-rendered SVG burn-down of an error budget: no JavaScript needed."""

from dataclasses import dataclass

from .budget import ErrorBudget

WIDTH, HEIGHT, PAD = 600, 160, 4


@dataclass(frozen=True)
class BudgetChart:
    width: int
    height: int
    points: str  # the remaining budget, as an SVG polyline
    zero_y: float  # where the budget runs out
    freeze_y: float  # where the freeze threshold lies
    top_label: str
    bottom_label: str


def budget_chart(budget: ErrorBudget, curve: list[tuple]) -> BudgetChart | None:
    if not curve or budget.budget_minutes <= 0:
        return None
    values = [remaining for _, remaining in curve]
    high = budget.budget_minutes
    low = min(0.0, *values)
    span = high - low or 1.0
    start, end = curve[0][0], curve[-1][0]
    duration = (end - start).total_seconds() or 1.0

    def x(instant) -> float:
        return PAD + (WIDTH - 2 * PAD) * (instant - start).total_seconds() / duration

    def y(value: float) -> float:
        return PAD + (HEIGHT - 2 * PAD) * (high - value) / span

    points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in curve)
    freeze_level = high * (1 - budget.freeze_threshold)
    return BudgetChart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        zero_y=round(y(0.0), 1),
        freeze_y=round(y(freeze_level), 1),
        top_label=f"{high:.1f} min",
        bottom_label=f"{low:.1f} min",
    )
