"""DORA benchmark tables, versioned by the year of the State of DevOps report.

2023 gives contiguous ranges, so a figure falls in exactly one band. 2024 describes
clusters (performance profiles) rather than cut-offs, so a figure is matched to the
cluster whose profile it lies nearest to; ties go to the better cluster."""

import math
from dataclasses import dataclass

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
SIX_MONTHS = 182 * DAY

ELITE, HIGH, MEDIUM, LOW = "elite", "high", "medium", "low"
ORDER = (ELITE, HIGH, MEDIUM, LOW)
SUPPORTED_YEARS = (2023, 2024)


def _below(value: float, limits: tuple[float, float, float]) -> str:
    for band, limit in zip(ORDER, limits, strict=False):
        if value < limit:
            return band
    return LOW


def _at_most(value: float, limits: tuple[float, float, float]) -> str:
    for band, limit in zip(ORDER, limits, strict=False):
        if value <= limit:
            return band
    return LOW


# --- 2023: contiguous ranges ----------------------------------------------------------


def deploy_frequency_2023(
    *, deploy_days_median: float, deploy_days: int, window_days: float
) -> str:
    if deploy_days_median >= 5:
        return ELITE
    if deploy_days_median >= 1:
        return HIGH
    if window_days > 0 and deploy_days >= window_days / 30:
        return MEDIUM
    return LOW


def lead_time_2023(seconds: float) -> str:
    return _below(seconds, (DAY, WEEK, MONTH))


def change_failure_rate_2023(rate: float) -> str:
    return _at_most(rate, (0.05, 0.10, 0.15))


def recovery_time_2023(seconds: float) -> str:
    return _below(seconds, (HOUR, DAY, WEEK))


# --- 2024: clusters -------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    name: str
    deploys_per_day: tuple[float, float]  # range, compared on a log scale
    lead_time: tuple[float, float]  # seconds, log scale
    change_failure_rate: float  # the cluster's typical rate
    recovery_time: tuple[float, float]  # seconds, log scale


CLUSTERS_2024 = (
    Cluster(ELITE, (1.0, math.inf), (0.0, DAY), 0.05, (0.0, HOUR)),
    Cluster(HIGH, (1 / 7, 1.0), (DAY, WEEK), 0.20, (HOUR, DAY)),
    Cluster(MEDIUM, (1 / 30, 1 / 7), (WEEK, MONTH), 0.10, (HOUR, DAY)),
    Cluster(LOW, (1 / 182, 1 / 30), (MONTH, SIX_MONTHS), 0.40, (WEEK, MONTH)),
)


def _log_distance(value: float, bounds: tuple[float, float]) -> float:
    """Orders of magnitude from ``value`` to the range (0 inside it)."""
    low, high = bounds
    value = max(value, 1e-9)
    if value < low:
        return math.log10(low / value)
    if value > high:
        return math.log10(value / high)
    return 0.0


def _distances(figures: dict[str, float | None]) -> dict[str, dict[str, float]]:
    """metric -> cluster -> distance, for the figures that exist."""
    measures = {
        "deployment_frequency": lambda c, v: _log_distance(v, c.deploys_per_day),
        "lead_time": lambda c, v: _log_distance(v, c.lead_time),
        # A rate difference of 10 points weighs like an order of magnitude.
        "change_failure_rate": lambda c, v: abs(v - c.change_failure_rate) * 10,
        "failed_deployment_recovery_time": lambda c, v: _log_distance(
            v, c.recovery_time
        ),
    }
    found = {}
    for metric, measure in measures.items():
        value = figures.get(metric)
        if value is not None:
            found[metric] = {c.name: measure(c, value) for c in CLUSTERS_2024}
    return found


def profile_2024(figures: dict[str, float | None]) -> str | None:
    """The cluster nearest to all the figures together."""
    distances = _distances(figures)
    if not distances:
        return None
    totals = {
        c.name: sum(per_cluster[c.name] for per_cluster in distances.values())
        for c in CLUSTERS_2024
    }
    return min(ORDER, key=lambda name: (totals[name], ORDER.index(name)))


def bands_2024(figures: dict[str, float | None]) -> dict[str, str | None]:
    """Each metric's nearest cluster; among equally near ones, the overall profile if
    it is one of them, else the better cluster."""
    distances = _distances(figures)
    profile = profile_2024(figures)
    bands: dict[str, str | None] = dict.fromkeys(figures)
    for metric, per_cluster in distances.items():
        nearest = min(per_cluster.values())
        tied = [name for name in ORDER if per_cluster[name] - nearest < 1e-12]
        bands[metric] = profile if profile in tied else tied[0]
    return bands
