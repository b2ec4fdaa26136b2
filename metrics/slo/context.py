"""What the service page shows about SLOs (templates/metrics/_service_slo.html)."""

from datetime import datetime

from django.utils import timezone

from accounts.roles import can_administer, can_respond
from incidents.models import Service

from . import selectors
from .budget import budget_curve
from .chart import budget_chart
from .status import budget_for, load_inputs


def service_slo_context(
    service: Service, *, user=None, now: datetime | None = None
) -> dict:
    now = now or timezone.now()
    slos = selectors.slos_with_service(service=service)
    impacts, measurements = load_inputs(slos, now=now)
    rows = []
    for slo in slos:
        service_impacts = impacts.get(slo.service_id, [])
        slo_measurements = measurements.get(slo.pk, [])
        budget = budget_for(slo, service_impacts, slo_measurements, now)
        curve = budget_curve(
            budget=budget, impacts=service_impacts, measurements=slo_measurements
        )
        rows.append(
            {"slo": slo, "budget": budget, "chart": budget_chart(budget, curve)}
        )

    return {
        "service": service,
        "slo_rows": rows,
        "frozen": any(row["budget"].frozen for row in rows),
        "active_override": selectors.active_override(service, now=now),
        "overrides": selectors.override_history(service),
        "can_manage_slos": user is not None and can_respond(user),
        "can_override": user is not None and can_administer(user),
    }
