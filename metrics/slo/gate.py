"""The deploy gate: may a deployment of a service to an environment proceed?"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from incidents.models import Service

from ..models import FreezeOverride
from . import selectors
from .budget import ErrorBudget
from .status import slo_statuses


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    service: str
    environment: str
    reasons: list[str]
    slos: list[ErrorBudget] = field(default_factory=list)
    override: FreezeOverride | None = None

    @property
    def frozen(self) -> bool:
        return any(budget.frozen for budget in self.slos)

    def as_dict(self) -> dict:
        data = {
            "allowed": self.allowed,
            "reasons": self.reasons,
            "service": self.service,
            "environment": self.environment,
            "frozen": self.frozen,
            "slos": [budget_dict(budget) for budget in self.slos],
        }
        if self.override is not None:
            data["override"] = {
                "reason": self.override.reason,
                "created_by": (
                    self.override.created_by.get_username()
                    if self.override.created_by
                    else None
                ),
                "created_at": self.override.created_at.isoformat(),
                "expires_at": self.override.expires_at.isoformat(),
            }
        return data


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def budget_dict(budget: ErrorBudget) -> dict:
    return {
        "id": budget.slo_id,
        "name": budget.name,
        "target": budget.target_percent,
        "window_days": budget.window_days,
        "freeze_threshold": budget.freeze_threshold,
        "budget_minutes": _rounded(budget.budget_minutes, 2),
        "consumed_minutes": _rounded(budget.consumed_minutes, 2),
        "consumed_share": _rounded(budget.consumed_share),
        "remaining_minutes": _rounded(budget.remaining_minutes, 2),
        "burn_rate": _rounded(budget.burn_rate),
        "burn_rate_1h": _rounded(budget.burn_rate_1h),
        "burn_rate_6h": _rounded(budget.burn_rate_6h),
        "frozen": budget.frozen,
        "exhausted": budget.exhausted,
    }


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _freeze_reason(budget: ErrorBudget) -> str:
    if budget.consumed_share is None:
        return (
            f"SLO {budget.name!r} has a {budget.target_percent:g}% target, so no "
            f"error budget, and {budget.consumed_minutes:.1f} minutes of impact."
        )
    return (
        f"SLO {budget.name!r} consumed {_percent(budget.consumed_share)} of its "
        f"error budget over {budget.window_days} days, past its freeze threshold "
        f"of {_percent(budget.freeze_threshold)}."
    )


def gate(
    service_slug: str, environment: str, *, now: datetime | None = None
) -> GateDecision:
    now = now or timezone.now()
    # One query finds the SLOs and their service; the service alone is looked up
    # only when it has no SLO.
    slos = selectors.slos_with_service(service__slug=service_slug)
    service = (
        slos[0].service if slos else Service.objects.filter(slug=service_slug).first()
    )
    if service is None:
        return GateDecision(
            allowed=True,
            service=service_slug,
            environment=environment,
            reasons=[f"Service {service_slug!r} is unknown, so no SLO applies."],
        )

    budgets = slo_statuses(slos, now=now)
    reasons = [_freeze_reason(budget) for budget in budgets if budget.frozen]
    decision = {"service": service.slug, "environment": environment, "slos": budgets}

    if environment not in settings.PRODUCTION_ENVIRONMENTS:
        reasons.insert(
            0,
            f"{environment!r} is not a production environment; the gate always "
            "allows it.",
        )
        return GateDecision(allowed=True, reasons=reasons, **decision)
    if not reasons:
        reasons.append(
            "No SLO of this service is past its freeze threshold."
            if budgets
            else "This service has no SLO, so nothing freezes it."
        )
        return GateDecision(allowed=True, reasons=reasons, **decision)

    override = selectors.active_override(service, now=now)
    if override is None:
        return GateDecision(allowed=False, reasons=reasons, **decision)
    who = override.created_by.get_username() if override.created_by else "an admin"
    reasons.append(
        f"Freeze overridden by {who} until {override.expires_at.isoformat()}: "
        f"{override.reason}"
    )
    return GateDecision(allowed=True, reasons=reasons, override=override, **decision)
