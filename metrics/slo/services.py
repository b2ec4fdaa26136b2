"""Writes that metrics/ owns: SLOs, measured SLI events, freeze overrides and the
budget states behind notifications. None of them touches the incident record."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent
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
    audit.record(
        AuditEvent.Action.FREEZE_OVERRIDE,
        actor=actor,
        target=service.slug,
        detail={
            "override": override.pk,
            "reason": override.reason[:300],
            "expires_at": override.expires_at.isoformat(),
        },
    )
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


def _claim_transition(state: SLOBudgetState, new: str, now: datetime) -> int | None:
    """Move the stored state from what we read to ``new`` with a conditional
    update, so that two evaluators running at once cannot both notify. Returns the
    episode of the transition, or None when another evaluator got there first."""
    # An episode starts when an SLO leaves "ok"; frozen -> exhausted -> ok belong to
    # it, so each notification of the episode has its own key and goes out once.
    episode = state.episode + 1 if state.state == State.OK else state.episode
    claimed = SLOBudgetState.objects.filter(
        pk=state.pk, state=state.state, episode=state.episode
    ).update(state=new, episode=episode, changed_at=now, evaluated_at=now)
    return episode if claimed else None


def _states_passed(old: str, new: str) -> list[str]:
    # One large outage between two runs takes an SLO from ok straight to exhausted;
    # it crossed the freeze threshold on the way, and teams wait for that message.
    if old == State.OK and new == State.EXHAUSTED:
        return [State.FROZEN, State.EXHAUSTED]
    return [new]


def evaluate_slos(*, now: datetime | None = None) -> dict[str, int]:
    """Compute every SLO's budget and notify the transitions since the last run.
    Unchanged SLOs cost nothing but one shared UPDATE of ``evaluated_at``."""
    now = now or timezone.now()
    budgets = slo_statuses(slos_with_service(), now=now)
    SLOBudgetState.objects.bulk_create(
        [SLOBudgetState(slo_id=b.slo_id, changed_at=now) for b in budgets],
        ignore_conflicts=True,
    )
    states = {s.slo_id: s for s in SLOBudgetState.objects.all()}

    changed = 0
    for budget in budgets:
        state = states.get(budget.slo_id)
        if state is None or budget.state == state.state:
            continue  # unchanged, or deleted while we computed
        with transaction.atomic():
            episode = _claim_transition(state, budget.state, now)
            if episode is not None:
                for passed in _states_passed(state.state, budget.state):
                    _notify_transition(budget, passed, episode)
                logger.info("SLO %s is now %s", budget.slo_id, budget.state)
                changed += 1
    SLOBudgetState.objects.filter(slo_id__in=[b.slo_id for b in budgets]).update(
        evaluated_at=now
    )
    return {"evaluated": len(budgets), "changed": changed}
