"""Writes that metrics/ owns: SLOs, measured SLI events, freeze overrides and the
budget states behind notifications. None of them touches the incident record."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from incidents.errors import DomainError
from incidents.models import Service
from incidents.services.notifications import notify

from ..models import SLO, FreezeOverride, SLIEvent, SLOBudgetState
from .budget import ErrorBudget
from .selectors import slos_with_service
from .status import slo_statuses

logger = logging.getLogger(__name__)

State = SLOBudgetState.State

DEFAULT_OVERRIDE_MAX_HOURS = 72
SLO_FIELDS = ("service", "name", "target_percent", "window_days", "freeze_threshold")


def override_max_hours() -> int:
    return getattr(settings, "SLO_OVERRIDE_MAX_HOURS", DEFAULT_OVERRIDE_MAX_HOURS)


@transaction.atomic
def save_slo(*, slo: SLO | None = None, actor: User | None, **fields) -> SLO:
    unknown = set(fields) - set(SLO_FIELDS)
    if unknown:
        raise DomainError(f"Cannot set {', '.join(sorted(unknown))}.")

    slo = slo or SLO()
    for name, value in fields.items():
        setattr(slo, name, value)
    clash = SLO.objects.filter(service=slo.service, name=slo.name).exclude(pk=slo.pk)
    if clash.exists():
        raise DomainError("This service already has an SLO by that name.", field="name")
    slo.full_clean()
    slo.save()

    logger.info("SLO %s saved for %s by %s", slo.pk, slo.service.slug, actor)
    return slo


@transaction.atomic
def delete_slo(*, slo: SLO, actor: User | None) -> None:
    logger.info("SLO %s of %s deleted by %s", slo.pk, slo.service.slug, actor)
    slo.delete()


@transaction.atomic
def record_measurement(
    *, slo: SLO, start: datetime, end: datetime, good: int, total: int
) -> SLIEvent:
    if end <= start:
        raise DomainError("end must be after start.", field="end")
    if good > total:
        raise DomainError("good cannot exceed total.", field="good")
    if total <= 0:
        raise DomainError("total must be at least 1.", field="total")

    # Locking the SLO row serialises reports for it, so two overlapping reports
    # sent at once cannot both pass the check below.
    SLO.objects.select_for_update().filter(pk=slo.pk).first()
    overlapping = SLIEvent.objects.filter(slo=slo, start__lt=end, end__gt=start)
    if overlapping.exists():
        raise DomainError(
            "These counts overlap counts already reported for this SLO.",
            field="start",
            code="conflict",
        )
    return SLIEvent.objects.create(
        slo=slo, start=start, end=end, good=good, total=total
    )


@transaction.atomic
def override_freeze(
    *,
    service: Service,
    reason: str,
    hours: float,
    actor: User | None,
    now: datetime | None = None,
) -> FreezeOverride:
    if not reason.strip():
        raise DomainError("Say why the freeze is overridden.", field="reason")
    limit = override_max_hours()
    if not 0 < hours <= limit:
        raise DomainError(
            f"An override lasts more than 0 and at most {limit} hours.", field="hours"
        )

    now = now or timezone.now()
    override = FreezeOverride.objects.create(
        service=service,
        reason=reason.strip(),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    who = actor.get_username() if actor else "someone"
    notify(
        event="slo.freeze_overridden",
        payload={
            "text": (
                f"Deploy freeze of {service.slug} overridden by {who} until "
                f"{override.expires_at:%Y-%m-%d %H:%M} UTC: {override.reason}"
            ),
            "service": service.slug,
            "expires_at": override.expires_at.isoformat(),
        },
        dedupe_key=f"freeze-override:{override.pk}",
    )
    logger.info(
        "Freeze of %s overridden by %s until %s", service.slug, who, override.expires_at
    )
    return override


_MESSAGES = {
    State.FROZEN: "SLO {name!r} of {service} passed its freeze threshold "
    "({share} of its error budget consumed): deployments are frozen.",
    State.EXHAUSTED: "SLO {name!r} of {service} has exhausted its error budget "
    "({consumed:.1f} of {budget:.1f} minutes).",
    State.OK: "SLO {name!r} of {service} has recovered: back under its freeze "
    "threshold ({share} of its error budget consumed).",
}
_EVENTS = {
    State.FROZEN: "slo.frozen",
    State.EXHAUSTED: "slo.exhausted",
    State.OK: "slo.recovered",
}


def _notify_transition(budget: ErrorBudget, state: str, episode: int) -> None:
    share = (
        "no budget" if budget.consumed_share is None else f"{budget.consumed_share:.0%}"
    )
    text = _MESSAGES[state].format(
        name=budget.name,
        service=budget.service,
        share=share,
        consumed=budget.consumed_minutes,
        budget=budget.budget_minutes,
    )
    notify(
        event=_EVENTS[state],
        payload={"text": text, "service": budget.service, "slo": budget.slo_id},
        dedupe_key=f"slo:{budget.slo_id}:episode:{episode}:{state}",
    )


def _apply(budget: ErrorBudget, now: datetime) -> str | None:
    """Record the SLO's new state; returns it when it changed."""
    current, _ = SLOBudgetState.objects.select_for_update().get_or_create(
        slo_id=budget.slo_id, defaults={"changed_at": now}
    )
    new = budget.state
    if new == current.state:
        SLOBudgetState.objects.filter(pk=current.pk).update(evaluated_at=now)
        return None

    # An episode starts when an SLO leaves "ok"; frozen -> exhausted -> ok belong to
    # it, so each notification of the episode has its own key and goes out once.
    if current.state == State.OK:
        current.episode += 1
    current.state, current.changed_at, current.evaluated_at = new, now, now
    current.save()
    _notify_transition(budget, new, current.episode)
    logger.info("SLO %s is now %s", budget.slo_id, new)
    return new


def evaluate_slos(*, now: datetime | None = None) -> dict[str, int]:
    """Compute every SLO's budget and notify the transitions since the last run."""
    now = now or timezone.now()
    budgets = slo_statuses(slos_with_service(), now=now)
    changed = 0
    for budget in budgets:
        with transaction.atomic():
            changed += _apply(budget, now) is not None
    return {"evaluated": len(budgets), "changed": changed}
