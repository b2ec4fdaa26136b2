"""Budgets of SLOs, computed from the record with one query per kind of row."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ..models import SLO
from . import selectors
from .budget import ErrorBudget, Impact, Measurement, error_budget


def budget_for(
    slo: SLO, impacts: list[Impact], measurements: list[Measurement], now: datetime
) -> ErrorBudget:
    return error_budget(
        slo_id=slo.pk,
        name=slo.name,
        service=slo.service.slug,
        target_percent=float(slo.target_percent),
        window_days=slo.window_days,
        freeze_threshold=float(slo.freeze_threshold),
        impacts=impacts,
        measurements=measurements,
        now=now,
    )


def load_inputs(
    slos: Sequence[SLO], *, now: datetime
) -> tuple[dict[int, list[Impact]], dict[int, list[Measurement]]]:
    """Incident impacts per service and measurements per SLO for the longest
    window among ``slos``."""
    if not slos:
        return {}, {}
    since = now - timedelta(days=max(slo.window_days for slo in slos))
    impacts = selectors.impacts_by_service(
        {slo.service_id for slo in slos}, since=since, until=now
    )
    measurements = selectors.measurements_by_slo(
        [slo.pk for slo in slos], since=since, until=now
    )
    return impacts, measurements


def slo_statuses(
    slos: Sequence[SLO], *, now: datetime | None = None
) -> list[ErrorBudget]:
    """Budgets of many SLOs in two queries (their ``service`` should be selected)."""
    now = (now or timezone.now()).astimezone(UTC)
    impacts, measurements = load_inputs(slos, now=now)
    return [
        budget_for(
            slo, impacts.get(slo.service_id, []), measurements.get(slo.pk, []), now
        )
        for slo in slos
    ]


def slo_status(slo: SLO, *, now: datetime | None = None) -> ErrorBudget:
    """The error budget of one SLO at ``now`` (default: the present)."""
    return slo_statuses([slo], now=now)[0]
