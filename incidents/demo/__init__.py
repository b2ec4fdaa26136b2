"""Deterministic demo data: the same seed and the same ``now`` give the same rows."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User

from ..models import (
    ActionItem,
    Commit,
    Deployment,
    Incident,
    Postmortem,
    PostmortemRevision,
    TimelineEntry,
)
from .catalogue import (
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    SERVICES,
    ensure_catalogue,
    ensure_demo_people,
)
from .history import DemoHistory
from .stories import ServiceRef
from .writer import BatchWriter, Table

__all__ = ["DEMO_PASSWORD", "DEMO_PEOPLE", "SeedResult", "seed_demo"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedResult:
    people: dict[str, User]
    skipped: bool = False
    written: dict[str, int] | None = None


def _tables() -> dict[str, Table]:
    # Declaration order is write order: a row's targets are always written first.
    return {
        "deployment": Table(
            Deployment,
            [
                "id", "service", "environment", "version", "commit_sha", "status",
                "started_at", "finished_at", "rollback_of", "is_hotfix", "source",
                "external_id", "deployed_by", "changelog", "url", "created_at",
                "updated_at",
            ],
        ),
        "commit": Table(
            Commit,
            [
                "deployment", "service", "sha", "committed_at", "authored_at",
                "author", "message",
            ],
        ),
        "incident": Table(
            Incident,
            [
                "id", "title", "summary", "severity", "status", "started_at",
                "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
                "commander", "communications_lead", "impact_percent", "caused_by",
                "cause_source", "source", "alert_group_key", "is_restricted",
                "created_by", "created_at", "updated_at",
            ],
        ),
        "incident_service": Table(Incident.services.through, ["incident", "service"]),
        "timeline": Table(
            TimelineEntry,
            [
                "incident", "occurred_at", "kind", "tag", "author", "body",
                "body_html", "data", "created_at",
            ],
        ),
        "postmortem": Table(
            Postmortem,
            [
                "id", "incident", "status", "body", "body_html", "version", "author",
                "approved_by", "created_at", "updated_at", "published_at",
            ],
        ),
        "revision": Table(
            PostmortemRevision,
            ["postmortem", "version", "body", "author", "reason", "created_at"],
        ),
        "action_item": Table(
            ActionItem,
            [
                "postmortem", "title", "kind", "owner", "due_date", "priority",
                "status", "tracker_url", "created_at", "completed_at",
            ],
        ),
    }  # fmt: skip


def seed_demo(
    *,
    deployments: int,
    seed: int,
    now: datetime,
    if_empty: bool = False,
    batch_size: int = 20_000,
    progress: Callable[[int, int, int], None] | None = None,
) -> SeedResult:
    """Add a demo history of ``deployments`` deployments ending at ``now``. The demo
    people are always ensured; with ``if_empty`` nothing else happens when any
    deployment exists."""
    people = ensure_demo_people()
    if if_empty and Deployment.objects.exists():
        logger.info("Demo history skipped: deployments already exist")
        return SeedResult(people=people, skipped=True)

    services = ensure_catalogue()
    refs = [
        (ServiceRef(services[s.slug].pk, s.slug, services[s.slug].name), s.weight)
        for s in SERVICES
    ]
    writer = BatchWriter(_tables(), id_models=[Deployment, Incident, Postmortem])
    DemoHistory(
        writer=writer,
        services=refs,
        people={name: user.pk for name, user in people.items()},
        now=now,
        deployments=deployments,
        seed=seed,
        batch_size=batch_size,
        progress=progress,
    ).run()
    writer.finish()

    logger.info("Demo history seeded: %s", writer.written)
    return SeedResult(people=people, written=dict(writer.written))
