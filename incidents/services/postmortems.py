"""Writing, reviewing and publishing postmortems.

The life of a postmortem is ``draft`` -> ``in_review`` -> ``published``, with a way
back from review to draft. Every text change is a new version and a revision row;
a save names the version it was based on and is refused if someone saved since."""

import logging
import string
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..errors import ConflictError, DomainError
from ..markdown import render_markdown
from ..models import (
    Incident,
    Postmortem,
    PostmortemRevision,
    PostmortemTemplate,
    TimelineEntry,
)
from ..postmortem_text import missing_sections, normalize_newlines
from ..signals import announce_change

logger = logging.getLogger(__name__)

TEMPLATE_FILE = settings.BASE_DIR / "templates" / "incidents" / "postmortem_template.md"
TEMPLATE_PLACEHOLDERS = (
    "key",
    "title",
    "severity",
    "services",
    "started",
    "resolved",
    "zone",
    "timeline",
)
DEFAULT_REQUIRED_SECTIONS = [
    "Summary",
    "Impact",
    "Contributing factors",
    "Trigger",
    "Detection",
    "Resolution",
    "Lessons learned",
]


@dataclass(frozen=True)
class TemplateSettings:
    body: str
    required_sections: list[str]


def current_template() -> TemplateSettings:
    """The admin's latest template if there is one, else the file shipped with the
    app. Required sections fall back to the POSTMORTEM_REQUIRED_SECTIONS setting."""
    required = list(
        getattr(settings, "POSTMORTEM_REQUIRED_SECTIONS", DEFAULT_REQUIRED_SECTIONS)
    )
    stored = PostmortemTemplate.objects.order_by("-updated_at", "-id").first()
    if stored is None:
        return TemplateSettings(TEMPLATE_FILE.read_text(encoding="utf-8"), required)
    return TemplateSettings(
        normalize_newlines(stored.body), stored.required_section_list or required
    )


def _format_time(value) -> str:
    if value is None:
        return "not yet"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _timeline_text(entry: TimelineEntry) -> str:
    correction = entry.correction
    if correction is None:
        return " ".join(entry.body.split()).replace("|", "\\|")
    # From the data rather than the body, whose ISO times (escaped for Markdown)
    # read badly in the editor and are in whatever zone the corrector used.
    old = _format_time(correction.old) if correction.old else "(none)"
    new = _format_time(correction.new) if correction.new else "(none)"
    return f"{correction.label} changed from {old} to {new}"


def _timeline_table(incident: Incident) -> str:
    rows = ["| Time | Event |", "|---|---|"]
    for entry in incident.timeline.order_by("occurred_at", "id"):
        rows.append(f"| {_format_time(entry.occurred_at)} | {_timeline_text(entry)} |")
    return "\n".join(rows)


def template_body(incident: Incident) -> str:
    """The starting text: the template's sections, with the timeline filled in from
    the incident's own, in the team's time zone whoever starts it. Placeholders are
    plain ``${name}`` substitutions, not a template language, so an admin-edited
    template cannot reach into the database."""
    with timezone.override(settings.TIME_ZONE):
        values = {
            "key": incident.key,
            "title": incident.title,
            "severity": incident.severity,
            "services": ", ".join(s.slug for s in incident.services.order_by("slug")),
            "started": _format_time(incident.started_at),
            "resolved": _format_time(incident.resolved_at),
            "zone": settings.TIME_ZONE,
            "timeline": _timeline_table(incident),
        }
    template = string.Template(current_template().body)
    return template.safe_substitute(values)


@transaction.atomic
def start_postmortem(
    *, incident: Incident, actor: User | None, body: str | None = None
) -> Postmortem:
    if Postmortem.objects.filter(incident=incident).exists():
        raise DomainError(f"{incident.key} already has a postmortem.", field="incident")

    text = normalize_newlines(template_body(incident) if body is None else body)
    postmortem = Postmortem.objects.create(
        incident=incident, body=text, body_html=render_markdown(text), author=actor
    )
    PostmortemRevision.objects.create(
        postmortem=postmortem, version=1, body=text, author=actor, reason="Started"
    )
    announce_change(kind="postmortem", ids=[postmortem.pk])
    logger.info("Postmortem started for %s", incident.key)
    return postmortem


def _current(postmortem: Postmortem) -> Postmortem:
    return Postmortem.objects.get(pk=postmortem.pk)


@transaction.atomic
def save_postmortem(
    *,
    postmortem: Postmortem,
    body: str,
    base_version: int,
    actor: User | None,
    reason: str = "",
) -> Postmortem:
    """Save a new text, refusing it if someone saved since ``base_version`` was read.
    A published postmortem is read-only except for an amendment, which must say why.
    """
    body = normalize_newlines(body)
    reason = reason.strip()
    current = _current(postmortem)
    if current.status == Postmortem.Status.PUBLISHED and not reason:
        raise DomainError(
            "A published postmortem is read-only; an amendment needs a reason.",
            field="reason",
        )
    if current.version == base_version and current.body == body:
        return current
    if current.version != base_version:
        raise _stale(current, base_version)

    new_version = _claim_version(current, body=body, base_version=base_version)
    # Rendered only once the version is ours, so losing saves cost no rendering;
    # the row stays locked until commit, so nobody reads the text without its HTML.
    Postmortem.objects.filter(pk=current.pk).update(body_html=render_markdown(body))

    if current.status == Postmortem.Status.PUBLISHED:
        reason = f"Amendment: {reason}"
    PostmortemRevision.objects.create(
        postmortem=current,
        version=new_version,
        body=body,
        author=actor,
        reason=reason[:500],
    )
    postmortem.refresh_from_db()
    announce_change(kind="postmortem", ids=[postmortem.pk])
    return postmortem


def _claim_version(current: Postmortem, *, body: str, base_version: int) -> int:
    """A conditional UPDATE, so two concurrent saves from the same base cannot both
    win whatever the isolation level. The status read before is part of the
    condition: a postmortem published meanwhile must not take an edit without a
    reason."""
    new_version = base_version + 1
    updated = Postmortem.objects.filter(
        pk=current.pk, version=base_version, status=current.status
    ).update(body=body, version=new_version, updated_at=timezone.now())
    if updated:
        return new_version

    latest = Postmortem.objects.get(pk=current.pk)
    if latest.version == base_version:
        raise ConflictError(
            f"The postmortem became {latest.get_status_display().lower()} "
            "while you edited it; save again.",
            field="status",
        )
    raise _stale(latest, base_version)


def _stale(current: Postmortem, base_version: int) -> ConflictError:
    return ConflictError(
        f"Someone saved version {current.version} after the version "
        f"{base_version} you edited.",
        field="version",
    )


def _locked(postmortem: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update().get(pk=postmortem.pk)


def _require_status(postmortem: Postmortem, status: str, action: str) -> None:
    if postmortem.status != status:
        raise DomainError(
            f"Only a postmortem {Postmortem.Status(status).label.lower()} can be "
            f"{action}; this one is {postmortem.get_status_display().lower()}.",
            field="status",
            code="invalid_transition",
        )


@transaction.atomic
def submit_for_review(*, postmortem: Postmortem, actor: User) -> Postmortem:
    locked = _locked(postmortem)
    _require_status(locked, Postmortem.Status.DRAFT, "sent to review")
    missing = missing_sections(locked.body, current_template().required_sections)
    if missing:
        raise DomainError(
            "Fill these sections before review: " + ", ".join(missing) + ".",
            field="body",
            code="sections_missing",
        )

    locked.status = Postmortem.Status.IN_REVIEW
    locked.submitted_by = actor
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    announce_change(kind="postmortem", ids=[locked.pk])
    logger.info("Postmortem %s sent to review", locked.pk)
    return locked


@transaction.atomic
def return_to_draft(*, postmortem: Postmortem, actor: User) -> Postmortem:
    locked = _locked(postmortem)
    _require_status(locked, Postmortem.Status.IN_REVIEW, "returned to draft")

    locked.status = Postmortem.Status.DRAFT
    locked.save(update_fields=["status", "updated_at"])
    announce_change(kind="postmortem", ids=[locked.pk])
    logger.info("Postmortem %s returned to draft by %s", locked.pk, actor.pk)
    return locked


@transaction.atomic
def approve_postmortem(*, postmortem: Postmortem, actor: User) -> Postmortem:
    """Publish: a second pair of eyes, so neither the author nor whoever sent it to
    review may approve it."""
    locked = _locked(postmortem)
    _require_status(locked, Postmortem.Status.IN_REVIEW, "approved")
    if actor.pk in {locked.author_id, locked.submitted_by_id}:
        raise DomainError(
            "A reviewer other than the author must approve the postmortem.",
            field="approved_by",
            code="self_approval",
        )

    locked.status = Postmortem.Status.PUBLISHED
    locked.approved_by = actor
    locked.published_at = timezone.now().astimezone(UTC)
    locked.save(update_fields=["status", "approved_by", "published_at", "updated_at"])
    announce_change(kind="postmortem", ids=[locked.pk])
    logger.info("Postmortem %s published", locked.pk)
    return locked
