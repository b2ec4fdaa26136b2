"""Small factories for the record. Each takes keyword overrides and fills the rest
with plain, valid values; times are aware and in UTC."""

import itertools
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User

from accounts.models import Role
from accounts.roles import role_group
from accounts.services import create_api_token
from incidents.models import (
    ActionItem,
    Commit,
    Deployment,
    Incident,
    Postmortem,
    Service,
    Team,
    TimelineEntry,
)

_counter = itertools.count(1)


def at(*args: int) -> datetime:
    """at(2025, 5, 2, 11, 55) -> an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def make_user(username: str, role: Role | None = None, **fields) -> User:
    user = User.objects.create_user(
        username=username, password="pw-" + username, **fields
    )
    if role is not None:
        user.groups.add(role_group(role))
    return user


def make_token(name: str = "ci", role: Role = Role.INTEGRATION) -> str:
    _, raw = create_api_token(name=name, role=role)
    return raw


def make_team(slug: str = "payments", **fields) -> Team:
    team, _ = Team.objects.get_or_create(
        slug=slug, defaults={"name": fields.pop("name", slug.title()), **fields}
    )
    return team


def make_service(slug: str = "checkout", **fields) -> Service:
    fields.setdefault("name", slug.title())
    service, _ = Service.objects.get_or_create(slug=slug, defaults=fields)
    return service


def make_deployment(
    service: Service | None = None,
    *,
    finished_at: datetime | None = None,
    status: str = Deployment.Status.SUCCESS,
    environment: str = "production",
    commits: list[tuple[str, datetime]] = (),
    **fields,
) -> Deployment:
    service = service or make_service()
    if finished_at is None and status != Deployment.Status.IN_PROGRESS:
        finished_at = at(2025, 1, 1)
    fields.setdefault("version", f"v{next(_counter)}")
    fields.setdefault(
        "started_at", finished_at - timedelta(minutes=5) if finished_at else None
    )
    deployment = Deployment.objects.create(
        service=service,
        environment=environment,
        status=status,
        finished_at=finished_at,
        **fields,
    )
    Commit.objects.bulk_create(
        Commit(deployment=deployment, service=service, sha=sha, committed_at=when)
        for sha, when in commits
    )
    return deployment


def make_incident(
    services: list[Service] | None = None,
    *,
    started_at: datetime | None = None,
    **fields,
) -> Incident:
    fields.setdefault("title", f"Incident {next(_counter)}")
    fields.setdefault("severity", Incident.Severity.SEV2)
    if fields.get("resolved_at") and "status" not in fields:
        fields["status"] = Incident.Status.RESOLVED
    incident = Incident.objects.create(
        started_at=started_at or at(2025, 1, 1), **fields
    )
    incident.services.set(services or [make_service()])
    return incident


def make_note(incident: Incident, body: str = "A note", **fields) -> TimelineEntry:
    fields.setdefault("occurred_at", incident.started_at)
    return TimelineEntry.objects.create(
        incident=incident, kind=TimelineEntry.Kind.NOTE, body=body, **fields
    )


def make_postmortem(
    incident: Incident, body: str = "# Postmortem", **fields
) -> Postmortem:
    return Postmortem.objects.create(incident=incident, body=body, **fields)


def make_action_item(postmortem: Postmortem, **fields) -> ActionItem:
    fields.setdefault("title", f"Action {next(_counter)}")
    return ActionItem.objects.create(postmortem=postmortem, **fields)
