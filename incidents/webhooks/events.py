"""Reading deployment events from GitHub and GitLab payloads into one shape.

Each reader raises ``PayloadError`` naming the payload field it could not use, so a
sender's misconfiguration comes back as a 400 that says what to fix."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.text import slugify

from ..models import Deployment
from ..timeparse import TimeFormatError, parse_instant

Status = Deployment.Status

# GitHub deployment_status states. A deployment waiting for its environment's
# protection rules (a reviewer, a wait timer) counts as started, as a queued one
# does. "inactive" means a later deployment superseded this one, which says nothing
# new about how it went, so it changes nothing.
GITHUB_STATES = {
    "queued": Status.IN_PROGRESS,
    "pending": Status.IN_PROGRESS,
    "waiting": Status.IN_PROGRESS,
    "in_progress": Status.IN_PROGRESS,
    "success": Status.SUCCESS,
    "failure": Status.FAILURE,
    "error": Status.FAILURE,
    "inactive": None,
}
# GitLab deployment statuses. A canceled deployment did not reach its environment,
# which for Hindsight's record is a deployment that did not succeed. A created or
# blocked one (waiting for an approval or a manual job) may never start, and GitLab
# says "running" when it does; a skipped one never ran: none of them changes
# anything.
GITLAB_STATUSES = {
    "created": None,
    "blocked": None,
    "skipped": None,
    "running": Status.IN_PROGRESS,
    "success": Status.SUCCESS,
    "failed": Status.FAILURE,
    "canceled": Status.FAILURE,
}
# Deployment approvals (GitLab Premium) arrive as Deployment Hooks too, but report
# what an approver did, not what the deployment did.
GITLAB_APPROVAL_ACTIONS = {"approved", "rejected"}


class PayloadError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DeploymentEvent:
    source: str
    service_slug: str
    environment: str
    external_id: str
    # None: an event that changes nothing (GitHub's "inactive", GitLab's "blocked").
    status: str | None
    # A new service's display name; blank gives one made from the slug.
    service_name: str = ""
    version: str = ""
    commit_sha: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    url: str = ""
    deployed_by: str = ""
    changelog: str = ""


def _get(payload: dict, path: str, *, required: bool = True):
    value = payload
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if required and (value is None or value == ""):
        raise PayloadError(path, f"{path} is missing.")
    return value


def _text(payload: dict, path: str, limit: int, *, required: bool = False) -> str:
    value = _get(payload, path, required=required)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise PayloadError(path, f"{path} must be a string.")
    return _without_nul(path, str(value))[:limit]


def _without_nul(path: str, text: str) -> str:
    # PostgreSQL text columns cannot hold NUL: saving one would fail as a 500
    # instead of telling the sender which field to fix.
    if "\x00" in text:
        raise PayloadError(path, f"{path} must not contain NUL characters.")
    return text


def _time(payload: dict, path: str, *, required: bool = True) -> datetime | None:
    value = _get(payload, path, required=required)
    if value is None:
        return None
    try:
        return parse_instant(_gitlab_style(value) if isinstance(value, str) else value)
    except TimeFormatError as error:
        raise PayloadError(path, f"{path}: {error}") from None


def _gitlab_style(text: str) -> str:
    # GitLab writes "2025-05-02 11:55:16 +0000"; Python reads the offset only when
    # it follows the time directly ("...11:55:16+0000"), and "UTC" not at all.
    text = text.strip()
    if text.endswith(" UTC"):
        return text[:-4] + "+00:00"
    head, _, tail = text.rpartition(" ")
    if head and tail[:1] in "+-" and tail[1:].isdigit():
        return head + tail
    return text


def _slug(payload: dict, path: str) -> str:
    slug = slugify(_text(payload, path, 200, required=True))[:100]
    if not slug:
        raise PayloadError(path, f"{path} gives no usable service name.")
    return slug


def _environment(payload: dict, *paths: str) -> str:
    for path in paths:
        value = _text(payload, path, 64)
        if value.strip():
            return value.strip()
    raise PayloadError(paths[0], f"{paths[0]} is missing.")


def _id(payload: dict, path: str) -> str:
    value = _get(payload, path)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PayloadError(path, f"{path} must be a number.")
    return _without_nul(path, str(value))[:100]


def github_event(payload: dict) -> DeploymentEvent:
    """A ``deployment_status`` event; the deployment's id identifies it, so every
    status of one deployment (and every redelivery) lands on the same record."""
    state = _text(payload, "deployment_status.state", 32, required=True)
    if state not in GITHUB_STATES:
        raise PayloadError(
            "deployment_status.state", f"Unknown deployment state {state!r}."
        )

    status = GITHUB_STATES[state]
    changed_at = _time(payload, "deployment_status.created_at")
    return DeploymentEvent(
        source=Deployment.Source.GITHUB,
        service_slug=_slug(payload, "repository.name"),
        environment=_environment(
            payload, "deployment_status.environment", "deployment.environment"
        ),
        external_id=f"github:{_id(payload, 'deployment.id')}",
        status=status,
        version=_text(payload, "deployment.ref", 200),
        commit_sha=_text(payload, "deployment.sha", 64),
        started_at=_time(payload, "deployment.created_at"),
        finished_at=None if status in (None, Status.IN_PROGRESS) else changed_at,
        url=_first_url(
            payload,
            "deployment_status.log_url",
            "deployment_status.target_url",
            "deployment_status.environment_url",
        ),
        deployed_by=_text(payload, "deployment.creator.login", 200),
        changelog=_text(payload, "deployment.description", 5000),
    )


def gitlab_event(payload: dict) -> DeploymentEvent | None:
    """A ``Deployment Hook`` event, or None for an approval. GitLab sends one time,
    when the status changed: the start for ``running``, the end for the others."""
    raw_status = _text(payload, "status", 32, required=True)
    if raw_status in GITLAB_APPROVAL_ACTIONS:
        return None
    if raw_status not in GITLAB_STATUSES:
        raise PayloadError("status", f"Unknown deployment status {raw_status!r}.")

    status = GITLAB_STATUSES[raw_status]
    changed_at = _time(payload, "status_changed_at")
    in_progress = status == Status.IN_PROGRESS
    service_slug, service_name = _gitlab_service(payload)
    return DeploymentEvent(
        source=Deployment.Source.GITLAB,
        service_slug=service_slug,
        service_name=service_name,
        environment=_environment(payload, "environment"),
        external_id=f"gitlab:{_id(payload, 'deployment_id')}",
        status=status,
        version=_text(payload, "ref", 200) or _text(payload, "short_sha", 64),
        commit_sha=_gitlab_sha(payload),
        started_at=changed_at if in_progress else None,
        finished_at=None if in_progress else changed_at,
        url=_first_url(payload, "deployable_url", "environment_external_url"),
        deployed_by=_text(payload, "user.username", 200),
        changelog=_text(payload, "commit_title", 5000),
    )


def _gitlab_service(payload: dict) -> tuple[str, str]:
    """The service's slug and display name. The slug comes from the project's path,
    which GitLab keeps URL-safe whatever the project is called ("Платежи" may live
    at acme/payments); the name only when the project has no usable path."""
    name = _text(payload, "project.name", 200).strip()
    path = (
        _text(payload, "project.path", 200)
        or (_text(payload, "project.path_with_namespace", 1000).rsplit("/", 1)[-1])
    )
    for candidate in (path, name):
        slug = slugify(candidate)[:100]
        if slug:
            return slug, name
    raise PayloadError(
        "project.path_with_namespace",
        "project.path_with_namespace gives no usable service name.",
    )


def _gitlab_sha(payload: dict) -> str:
    # Only the short SHA is a field of its own; the full one ends the commit URL.
    url = _text(payload, "commit_url", 1000)
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    if len(tail) >= 7 and all(c in "0123456789abcdef" for c in tail.lower()):
        return tail[:64]
    return _text(payload, "short_sha", 64)


def _first_url(payload: dict, *paths: str) -> str:
    for path in paths:
        value = _text(payload, path, 500)
        if value.startswith(("https://", "http://")):
            return value
    return ""
