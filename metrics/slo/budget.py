"""Error-budget arithmetic, free of the database so that it can be checked by hand.

Time is absolute: a window of N days is N x 1,440 minutes of UTC time, so a window
containing a DST change is neither an hour short nor an hour long.

Merging overlapping incidents: at every instant the impact on a service is the
*largest* impact percent among the incidents open at that instant (not their sum).
Two incidents that each hit 40% of users at the same time are taken to hit the same
users, so together they cost 40% of those minutes, never 80%; a 100% outage nested
inside a 20% degradation costs 100% while it lasts and 20% around it. Consumed
minutes are the integral of that impact (as a fraction) over the window.

Measured SLI events take precedence where they exist: for every ``[start, end)`` a
team reported good and total counts for, the consumed minutes there are the bad
fraction times the minutes of the report inside the window (reports are taken as
evenly spread), and incident minutes inside that span are ignored.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Impact:
    """One incident's effect on a service: from start to end (None while open)."""

    start: datetime
    end: datetime | None
    percent: float


@dataclass(frozen=True)
class Measurement:
    start: datetime
    end: datetime
    good: int
    total: int

    @property
    def bad_fraction(self) -> float:
        return (self.total - self.good) / self.total if self.total else 0.0


@dataclass(frozen=True)
class ErrorBudget:
    slo_id: int
    name: str
    service: str
    target_percent: float
    window_days: int
    window_start: datetime
    window_end: datetime
    freeze_threshold: float
    budget_minutes: float
    consumed_minutes: float
    # None when the target is 100%: there is no budget to take a share of.
    consumed_share: float | None
    remaining_minutes: float
    burn_rate: float | None
    burn_rate_1h: float | None
    burn_rate_6h: float | None
    frozen: bool
    exhausted: bool
    measured_minutes: float

    @property
    def state(self) -> str:
        if self.exhausted:
            return "exhausted"
        return "frozen" if self.frozen else "ok"

    @property
    def target_label(self) -> str:
        return f"{self.target_percent:g}"

    @property
    def remaining_share(self) -> float | None:
        if self.consumed_share is None:
            return None
        return 1 - self.consumed_share

    def as_dict(self) -> dict:
        data = asdict(self)
        data["window_start"] = self.window_start.isoformat()
        data["window_end"] = self.window_end.isoformat()
        data["state"] = self.state
        return data


def _minutes(delta: timedelta) -> float:
    return delta / MINUTE


def weighted_minutes(
    impacts: Iterable[Impact], start: datetime, end: datetime, *, now: datetime
) -> float:
    """Minutes of impact inside ``[start, end)``, weighted by the largest impact
    percent open at each instant. An open incident lasts until ``now``."""
    boundaries: dict[datetime, list[tuple[float, int]]] = {}
    for impact in impacts:
        lo = max(impact.start, start)
        hi = min(impact.end or now, end)
        if hi <= lo or impact.percent <= 0:
            continue
        boundaries.setdefault(lo, []).append((impact.percent, 1))
        boundaries.setdefault(hi, []).append((impact.percent, -1))

    active: Counter[float] = Counter()
    total = 0.0
    previous = None
    for instant in sorted(boundaries):
        if previous is not None and active:
            total += _minutes(instant - previous) * max(active) / 100
        for percent, step in boundaries[instant]:
            active[percent] += step
            if not active[percent]:
                del active[percent]
        previous = instant
    return total


def consumed_minutes(
    impacts: Sequence[Impact],
    measurements: Sequence[Measurement],
    start: datetime,
    end: datetime,
    *,
    now: datetime,
) -> tuple[float, float]:
    """(consumed minutes, minutes covered by measurements) inside ``[start, end)``.
    Measurements of one SLO never overlap (the service refuses that)."""
    consumed = weighted_minutes(impacts, start, end, now=now)
    covered = 0.0
    for measurement in measurements:
        lo, hi = max(measurement.start, start), min(measurement.end, end)
        if hi <= lo:
            continue
        span = _minutes(hi - lo)
        covered += span
        consumed -= weighted_minutes(impacts, lo, hi, now=now)
        consumed += measurement.bad_fraction * span
    return max(consumed, 0.0), covered


def burn_rate(
    consumed: float, budget: float, lookback: timedelta, window: timedelta
) -> float | None:
    """Consumed share of the budget divided by the share of the window it took.
    Over the whole rolling window the elapsed share is 1, so the burn rate equals
    the consumed share; over the last hour, 1.0 means "spending exactly at the pace
    that would use the whole budget in one window"."""
    if budget <= 0:
        return None
    return (consumed / budget) / (lookback / window)


def error_budget(
    *,
    slo_id: int,
    name: str,
    service: str,
    target_percent: float,
    window_days: int,
    freeze_threshold: float,
    impacts: Sequence[Impact],
    measurements: Sequence[Measurement],
    now: datetime,
) -> ErrorBudget:
    # Wall-clock arithmetic on a zoned "now" would make a window spanning DST an
    # hour long or short; in UTC every day is 1,440 minutes.
    now = now.astimezone(UTC)
    window = timedelta(days=window_days)
    window_start = now - window
    # Decimal keeps 99.9% of 43,200 minutes at exactly 43.2, so that consumption
    # equal to the threshold is not pushed over it by a rounding error.
    spare = (100 - Decimal(str(target_percent))) / 100
    budget = float(Decimal(window_days * 1440) * spare)
    consumed, covered = consumed_minutes(
        impacts, measurements, window_start, now, now=now
    )

    rates = {}
    for label, lookback in (("1h", timedelta(hours=1)), ("6h", timedelta(hours=6))):
        lookback = min(lookback, window)
        recent, _ = consumed_minutes(
            impacts, measurements, now - lookback, now, now=now
        )
        rates[label] = burn_rate(recent, budget, lookback, window)

    share = consumed / budget if budget > 0 else None
    # With no budget at all (a 100% target) any impact freezes and exhausts.
    frozen = share > freeze_threshold if share is not None else consumed > 0
    exhausted = share >= 1 if share is not None else consumed > 0
    return ErrorBudget(
        slo_id=slo_id,
        name=name,
        service=service,
        target_percent=target_percent,
        window_days=window_days,
        window_start=window_start,
        window_end=now,
        freeze_threshold=freeze_threshold,
        budget_minutes=budget,
        consumed_minutes=consumed,
        consumed_share=share,
        remaining_minutes=budget - consumed,
        burn_rate=burn_rate(consumed, budget, window, window),
        burn_rate_1h=rates["1h"],
        burn_rate_6h=rates["6h"],
        frozen=frozen,
        exhausted=exhausted,
        measured_minutes=covered,
    )


def budget_curve(
    *,
    budget: ErrorBudget,
    impacts: Sequence[Impact],
    measurements: Sequence[Measurement],
    points: int = 60,
) -> list[tuple[datetime, float]]:
    """Budget remaining at evenly spaced instants of the window, counting only the
    consumption since the window began (the burn-down a chart shows)."""
    step = (budget.window_end - budget.window_start) / points
    curve = []
    for index in range(points + 1):
        instant = budget.window_start + step * index
        used, _ = consumed_minutes(
            impacts, measurements, budget.window_start, instant, now=budget.window_end
        )
        curve.append((instant, budget.budget_minutes - used))
    return curve
