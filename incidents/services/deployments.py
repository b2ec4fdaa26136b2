import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import DomainError, UnprocessableError
from ..models import Commit, Deployment, Service
from ..signals import announce_change

logger = logging.getLogger(__name__)

Status = Deployment.Status

# Which reported status may follow which. A success can later be rolled back; a
# failure is final (a retry is a new deployment).
_ALLOWED_TRANSITIONS = {
    Status.IN_PROGRESS: {Status.SUCCESS, Status.FAILURE, Status.ROLLED_BACK},
    Status.SUCCESS: {Status.ROLLED_BACK},
    Status.FAILURE: set(),
    Status.ROLLED_BACK: set(),
}


@dataclass(frozen=True)
class CommitData:
    sha: str
    committed_at: datetime
    authored_at: datetime | None = None
    author: str = ""
    message: str = ""


def get_or_create_service(slug: str) -> Service:
    service, created = Service.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").title()}
    )
    if created:
        logger.info("Service %s created by its first deployment", slug)
    return service


def record_deployment(
    *,
    service_slug: str,
    environment: str,
    status: str = Status.SUCCESS,
    version: str = "",
    commit_sha: str = "",
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    external_id: str | None = None,
    rollback_of: Deployment | None = None,
    is_hotfix: bool = False,
    commits: list[CommitData] = (),
    source: str = Deployment.Source.API,
    deployed_by: str = "",
    changelog: str = "",
    url: str = "",
) -> tuple[Deployment, bool]:
    """Record a deployment with its commits. Returns (deployment, created); a repeat
    of a known (service, environment, external_id) returns the stored record."""
    if external_id:
        existing = _find_existing(service_slug, environment, external_id)
        if existing is not None:
            return existing, False

    if status != Status.IN_PROGRESS and finished_at is None:
        finished_at = timezone.now()
    if status == Status.IN_PROGRESS and finished_at is not None:
        raise DomainError(
            "An in-progress deployment has no finish time.", field="finished_at"
        )
    if started_at and finished_at and finished_at < started_at:
        raise DomainError("finished_at is before started_at.", field="finished_at")

    try:
        with transaction.atomic():
            deployment = _create(
                service_slug=service_slug,
                environment=environment,
                status=status,
                version=version,
                commit_sha=commit_sha,
                started_at=started_at,
                finished_at=finished_at,
                external_id=external_id or None,
                rollback_of=rollback_of,
                is_hotfix=is_hotfix,
                commits=commits,
                source=source,
                deployed_by=deployed_by,
                changelog=changelog,
                url=url,
            )
    except IntegrityError:
        # A concurrent request with the same external id won the race.
        existing = external_id and _find_existing(
            service_slug, environment, external_id
        )
        if not existing:
            raise
        return existing, False

    logger.info(
        "Deployment %s recorded: %s %s to %s (%s, %d commits)",
        deployment.pk,
        service_slug,
        version or commit_sha[:12],
        environment,
        status,
        len(commits),
    )
    return deployment, True


def _find_existing(slug: str, environment: str, external_id: str) -> Deployment | None:
    return (
        Deployment.objects.select_related("service")
        .filter(service__slug=slug, environment=environment, external_id=external_id)
        .first()
    )


def _create(*, service_slug: str, commits: list[CommitData], **fields) -> Deployment:
    service = get_or_create_service(service_slug)
    rollback_of = fields.get("rollback_of")
    if rollback_of is not None and rollback_of.service_id != service.pk:
        raise DomainError(
            "rollback_of names a deployment of another service.", field="rollback_of"
        )

    deployment = Deployment.objects.create(service=service, **fields)
    unique = {c.sha: c for c in commits}
    Commit.objects.bulk_create(
        Commit(
            deployment=deployment,
            service=service,
            sha=c.sha,
            committed_at=c.committed_at,
            authored_at=c.authored_at,
            author=c.author,
            message=c.message,
        )
        for c in unique.values()
    )

    announce_change(kind="deployment", ids=[deployment.pk])
    return deployment


@transaction.atomic
def update_deployment_status(
    *,
    deployment: Deployment,
    status: str,
    finished_at: datetime | None = None,
    started_at: datetime | None = None,
) -> Deployment:
    """Move a reported deployment on (started -> finished, failed or rolled back)."""
    locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if status == locked.status:
        return locked
    if status not in _ALLOWED_TRANSITIONS[Status(locked.status)]:
        raise UnprocessableError(
            f"A deployment cannot go from {locked.status} to {status}.",
            field="status",
        )

    locked.status = status
    if started_at is not None:
        locked.started_at = started_at
    if locked.finished_at is None:
        locked.finished_at = finished_at or timezone.now()
    if locked.started_at and locked.finished_at < locked.started_at:
        raise DomainError("finished_at is before started_at.", field="finished_at")
    locked.save(update_fields=["status", "started_at", "finished_at", "updated_at"])

    announce_change(kind="deployment", ids=[locked.pk])
    logger.info("Deployment %s is now %s", locked.pk, status)
    return locked
