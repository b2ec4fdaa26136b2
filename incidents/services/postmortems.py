import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..errors import ConflictError, DomainError
from ..markdown import render_markdown
from ..models import Incident, Postmortem, PostmortemRevision
from ..signals import announce_change

logger = logging.getLogger(__name__)


def template_body(incident: Incident) -> str:
    """The starting text: the standard sections, with the timeline filled in from the
    incident's own, in the team's time zone whoever starts it."""
    entries = incident.timeline.order_by("occurred_at", "id")
    rows = [
        (entry.occurred_at, " ".join(entry.body.split()).replace("|", "\\|"))
        for entry in entries
    ]
    with timezone.override(settings.TIME_ZONE):
        return render_to_string(
            "incidents/postmortem_template.md", {"incident": incident, "rows": rows}
        )


@transaction.atomic
def start_postmortem(
    *, incident: Incident, actor: User | None, body: str | None = None
) -> Postmortem:
    if Postmortem.objects.filter(incident=incident).exists():
        raise DomainError(f"{incident.key} already has a postmortem.", field="incident")

    text = template_body(incident) if body is None else body
    postmortem = Postmortem.objects.create(
        incident=incident, body=text, body_html=render_markdown(text), author=actor
    )
    PostmortemRevision.objects.create(
        postmortem=postmortem, version=1, body=text, author=actor, reason="Started"
    )
    announce_change(kind="postmortem", ids=[postmortem.pk])
    logger.info("Postmortem started for %s", incident.key)
    return postmortem


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

    The version check is a conditional UPDATE, so two concurrent saves from the same
    base cannot both win whatever the isolation level."""
    if postmortem.status == Postmortem.Status.PUBLISHED and not reason.strip():
        raise DomainError(
            "A published postmortem is read-only; an amendment needs a reason.",
            field="reason",
        )

    new_version = base_version + 1
    updated = Postmortem.objects.filter(pk=postmortem.pk, version=base_version).update(
        body=body,
        body_html=render_markdown(body),
        version=new_version,
        updated_at=timezone.now(),
    )
    if updated == 0:
        current = Postmortem.objects.get(pk=postmortem.pk)
        raise ConflictError(
            f"Someone saved version {current.version} after the version "
            f"{base_version} you edited.",
            field="version",
        )

    PostmortemRevision.objects.create(
        postmortem=postmortem,
        version=new_version,
        body=body,
        author=actor,
        reason=reason,
    )
    postmortem.refresh_from_db()
    announce_change(kind="postmortem", ids=[postmortem.pk])
    return postmortem
