import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import DomainError, UnprocessableError
from ..models import Commit, Deployment, IdempotencyKey, Service
from ..models.catalogue import validate_service_slug
from ..signals import announce_change
from . import notifications

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


@dataclass(frozen=True)
class Idempotency:
    """An ``Idempotency-Key`` header, who sent it and the hash of what they sent."""

    client: User
    key: str
    request_hash: str


def request_hash(data) -> str:
    """SHA-256 of the body in canonical JSON (sorted keys, no spaces), so that the
    same content sent with another key order or spacing counts as the same body."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def get_or_create_service(slug: str, *, name: str = "") -> Service:
    """The service with ``slug``; a new one is called ``name``, or a name made from
    the slug."""
    try:
        validate_service_slug(slug)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="service") from None
    service, created = Service.objects.get_or_create(
        slug=slug, defaults={"name": name or slug.replace("-", " ").title()}
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
    idempotency: Idempotency | None = None,
    service_name: str = "",
) -> tuple[Deployment, bool]:
    """Record a deployment with its commits. Returns (deployment, created); a repeat
    of a known (service, environment, external_id), or of a known Idempotency-Key
    with the same body, returns the stored record and changes nothing."""
    fingerprint = (
        _fingerprint(locals())
        if source == Deployment.Source.API and external_id
        else ""
    )
    stored = _stored_repeat(
        idempotency, service_slug, environment, external_id, fingerprint
    )
    if stored is not None:
        return stored, False

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
            # The key row goes in first: on PostgreSQL a concurrent request with the
            # same key then waits on its unique index until this transaction ends,
            # and sees the finished deployment rather than half of one.
            claim = _claim_key(idempotency)
            deployment = _create(
                service_slug=service_slug,
                service_name=service_name,
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
                request_hash=fingerprint,
            )
            if claim is not None:
                claim.deployment = deployment
                claim.save(update_fields=["deployment"])
            notifications.announce_deployment(deployment=deployment)
    except IntegrityError:
        # A concurrent request with the same key or external id won the race; its
        # transaction has committed by now, so its record is visible.
        stored = _stored_repeat(
            idempotency, service_slug, environment, external_id, fingerprint
        )
        if stored is None:
            raise
        logger.debug("Deployment %s was recorded by a concurrent request", stored.pk)
        return stored, False

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


_FINGERPRINTED = (
    "service_slug",
    "environment",
    "status",
    "version",
    "commit_sha",
    "started_at",
    "finished_at",
    "external_id",
    "is_hotfix",
    "deployed_by",
    "changelog",
    "url",
)


def _fingerprint(arguments: dict) -> str:
    """The hash of a deployment as first reported: the values, not the JSON text,
    so "Z" and "+00:00" or another key order count as the same report."""
    rollback_of = arguments["rollback_of"]
    content = {name: arguments[name] for name in _FINGERPRINTED}
    content["rollback_of"] = rollback_of.pk if rollback_of else None
    content["commits"] = sorted(
        (c.sha, c.committed_at, c.authored_at, c.author, c.message)
        for c in arguments["commits"]
    )
    return request_hash(content)


def _stored_repeat(
    idempotency: Idempotency | None,
    service_slug: str,
    environment: str,
    external_id: str | None,
    fingerprint: str = "",
) -> Deployment | None:
    if idempotency is not None:
        claim = (
            IdempotencyKey.objects.select_related("deployment__service")
            .filter(client=idempotency.client, key=idempotency.key)
            .first()
        )
        if claim is not None:
            if claim.request_hash != idempotency.request_hash:
                raise UnprocessableError(
                    f"The Idempotency-Key {idempotency.key!r} was already used with "
                    "a different request body; send a new key for a new deployment.",
                    code="idempotency_key_reused",
                )
            return claim.deployment

    if not external_id:
        return None
    existing = _find_existing(service_slug, environment, external_id)
    if existing is None:
        return None
    if fingerprint and existing.request_hash and fingerprint != existing.request_hash:
        # A retry of the first report (even after a PATCH moved the deployment on)
        # returns the record; other content under the same id would be lost.
        raise UnprocessableError(
            f"Deployment {existing.pk} was already recorded for {service_slug} in "
            f"{environment} with external_id {external_id!r} and other content. "
            f"Send PATCH /api/deployments/{existing.pk}/ to change its status or "
            "times, or use a new external_id for a new deployment.",
            code="external_id_reused",
        )
    if idempotency is not None:
        _remember_key(idempotency, existing)
    return existing


def _claim_key(idempotency: Idempotency | None) -> IdempotencyKey | None:
    if idempotency is None:
        return None
    return IdempotencyKey.objects.create(
        client=idempotency.client,
        key=idempotency.key,
        request_hash=idempotency.request_hash,
    )


def _remember_key(idempotency: Idempotency, deployment: Deployment) -> None:
    # A repeat by external id under a fresh key: later repeats of that key with the
    # same body must find the same record.
    try:
        with transaction.atomic():
            IdempotencyKey.objects.get_or_create(
                client=idempotency.client,
                key=idempotency.key,
                defaults={
                    "request_hash": idempotency.request_hash,
                    "deployment": deployment,
                },
            )
    except IntegrityError:
        logger.debug("Idempotency key %s stored concurrently", idempotency.key)


def _find_existing(slug: str, environment: str, external_id: str) -> Deployment | None:
    return (
        Deployment.objects.select_related("service")
        .filter(service__slug=slug, environment=environment, external_id=external_id)
        .first()
    )


def _check_rollback_target(rollback_of: Deployment | None, service: Service, env):
    if rollback_of is None:
        return
    if rollback_of.service_id != service.pk:
        raise DomainError(
            f"rollback_of names deployment {rollback_of.pk} of service "
            f"{rollback_of.service.slug}, not {service.slug}.",
            field="rollback_of",
        )
    if rollback_of.environment != env:
        raise DomainError(
            f"rollback_of names deployment {rollback_of.pk} to "
            f"{rollback_of.environment}, not {env}.",
            field="rollback_of",
        )


def _create(
    *, service_slug: str, service_name: str, commits: list[CommitData], **fields
) -> Deployment:
    service = get_or_create_service(service_slug, name=service_name)
    _check_rollback_target(fields.get("rollback_of"), service, fields["environment"])

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


def can_move(deployment: Deployment, status: str) -> bool:
    return (
        status == deployment.status
        or status in _ALLOWED_TRANSITIONS[Status(deployment.status)]
    )


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
    if status == locked.status and started_at is None and finished_at is None:
        return locked
    if not can_move(locked, status):
        raise UnprocessableError(
            f"A deployment cannot go from {locked.status} to {status}; "
            f"allowed from {locked.status}: {_allowed_text(locked.status)}.",
            field="status",
        )

    previous = locked.status
    locked.status = status
    if started_at is not None:
        locked.started_at = started_at
    if status == Status.IN_PROGRESS and finished_at is not None:
        raise DomainError(
            "An in-progress deployment has no finish time.", field="finished_at"
        )
    if status != Status.IN_PROGRESS:
        locked.finished_at = finished_at or locked.finished_at or timezone.now()
    if (
        locked.started_at
        and locked.finished_at
        and locked.finished_at < locked.started_at
    ):
        raise DomainError("finished_at is before started_at.", field="finished_at")
    locked.save(update_fields=["status", "started_at", "finished_at", "updated_at"])

    if previous != status:
        notifications.announce_deployment(deployment=locked)
        logger.info("Deployment %s is now %s", locked.pk, status)
    announce_change(kind="deployment", ids=[locked.pk])
    return locked


def _allowed_text(status: str) -> str:
    allowed = sorted(_ALLOWED_TRANSITIONS[Status(status)])
    return ", ".join(allowed) if allowed else "none (it is final)"


def apply_deployment_event(*, event) -> tuple[Deployment | None, str]:
    """Record or move on a deployment reported by a CI system's webhook (an
    incidents.webhooks.events.DeploymentEvent). Returns the deployment and what
    happened: created, updated, unchanged or ignored. Redeliveries and late,
    out-of-order events change nothing."""
    existing = _find_existing(event.service_slug, event.environment, event.external_id)
    if existing is None:
        if event.status is None:
            return None, "ignored"
        deployment, created = record_deployment(
            service_slug=event.service_slug,
            service_name=event.service_name,
            environment=event.environment,
            status=event.status,
            version=event.version,
            commit_sha=event.commit_sha,
            started_at=event.started_at,
            finished_at=event.finished_at,
            external_id=event.external_id,
            source=event.source,
            deployed_by=event.deployed_by,
            changelog=event.changelog,
            url=event.url,
        )
        if created:
            return deployment, "created"
        existing = deployment

    if event.status is None or event.status == existing.status:
        return existing, "unchanged"
    if not can_move(existing, event.status):
        logger.warning(
            "Ignored %s event moving deployment %s from %s to %s",
            event.source,
            existing.pk,
            existing.status,
            event.status,
        )
        return existing, "ignored"

    deployment = update_deployment_status(
        deployment=existing,
        status=event.status,
        finished_at=event.finished_at,
        started_at=event.started_at if existing.started_at is None else None,
    )
    return deployment, "updated"
