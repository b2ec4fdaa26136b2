"""Reads for postmortems and action items, shared by pages, exports and the digest
task."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import ActionItem, Incident, Postmortem, PostmortemRevision
from .postmortem_text import DiffLine, line_diff

DUE_SEVERITIES = (Incident.Severity.SEV1, Incident.Severity.SEV2)


def due_days() -> int:
    return int(getattr(settings, "POSTMORTEM_DUE_DAYS", 5))


def _visible(user) -> QuerySet[Incident]:
    """Restricted incidents, and so their postmortems and action items, are seen
    only by admins and the incident's own people (Incident.objects.visible_to)."""
    return Incident.objects.visible_to(user).values("pk")


def postmortem_list(user) -> QuerySet[Postmortem]:
    return (
        Postmortem.objects.select_related("incident", "author")
        .filter(incident__in=_visible(user))
        .order_by("-updated_at", "-id")
    )


def get_postmortem(key: str, *, user=None) -> Postmortem | None:
    """The postmortem of incident ``key``; with ``user``, only if they may see it."""
    pk = Incident.pk_from_key(key)
    if pk is None:
        return None
    postmortems = Postmortem.objects.select_related(
        "incident", "author", "approved_by", "submitted_by"
    ).filter(incident_id=pk)
    if user is not None:
        postmortems = postmortems.filter(incident__in=_visible(user))
    return postmortems.first()


@dataclass(frozen=True)
class DuePostmortem:
    incident: Incident
    postmortem: Postmortem | None
    due_at: datetime
    is_overdue: bool


def postmortems_due(*, user, now: datetime | None = None) -> list[DuePostmortem]:
    """Resolved SEV1 and SEV2 incidents whose postmortem is missing or not yet
    published, each due POSTMORTEM_DUE_DAYS after resolution; earliest first."""
    now = now or timezone.now()
    incidents = (
        Incident.objects.visible_to(user)
        .filter(
            severity__in=DUE_SEVERITIES,
            status=Incident.Status.RESOLVED,
            resolved_at__isnull=False,
        )
        .exclude(postmortem__status=Postmortem.Status.PUBLISHED)
        .select_related("postmortem")
        .order_by("resolved_at", "id")
    )
    window = timedelta(days=due_days())
    return [
        DuePostmortem(
            incident=incident,
            postmortem=getattr(incident, "postmortem", None),
            due_at=incident.resolved_at + window,
            is_overdue=incident.resolved_at + window < now,
        )
        for incident in incidents
    ]


def search_postmortems(query: str, *, user) -> QuerySet[Postmortem]:
    """Full-text search on PostgreSQL; elsewhere every word must appear somewhere
    in the text or the incident's title, which matches the same postmortems for
    plain words."""
    words = query.split()
    if not words:
        return postmortem_list(user).none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("incident__title", "body", config="english")
        search = SearchQuery(" ".join(words), config="english", search_type="plain")
        return (
            postmortem_list(user)
            # ts_rank is positive for a partial match too; @@ does the matching.
            .annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "-updated_at", "-id")
        )

    matches = Q()
    for word in words:
        matches &= Q(body__icontains=word) | Q(incident__title__icontains=word)
    return postmortem_list(user).filter(matches)


def revision_body(postmortem: Postmortem, version: int) -> str | None:
    return (
        postmortem.revisions.filter(version=version)
        .values_list("body", flat=True)
        .first()
    )


@dataclass(frozen=True)
class RevisionWithDiff:
    revision: PostmortemRevision
    diff: list[DiffLine]


def revisions_with_diffs(postmortem: Postmortem) -> list[RevisionWithDiff]:
    """Newest first, each with its diff against the revision before it."""
    revisions = list(
        postmortem.revisions.select_related("author").order_by("version", "id")
    )
    result = []
    previous = ""
    for revision in revisions:
        result.append(RevisionWithDiff(revision, line_diff(previous, revision.body)))
        previous = revision.body
    return list(reversed(result))


def open_action_items(
    *, user, owner: str = "", service: str = "", team: str = ""
) -> QuerySet[ActionItem]:
    """Open items across all postmortems, overdue first, filtered by the owner's
    username and the incident's service or owning team (slugs)."""
    items = ActionItem.objects.filter(
        status=ActionItem.Status.OPEN, postmortem__incident__in=_visible(user)
    ).select_related("owner", "postmortem__incident")
    if owner:
        items = items.filter(owner__username=owner)
    if service:
        items = items.filter(postmortem__incident__services__slug=service)
    if team:
        items = items.filter(postmortem__incident__services__team__slug=team)
    return items.distinct().order_by(
        F("due_date").asc(nulls_last=True), "priority", "id"
    )


def overdue_action_items(*, today: date) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(
            status=ActionItem.Status.OPEN,
            due_date__lt=today,
            owner__isnull=False,
            owner__is_active=True,
        )
        .select_related("owner", "postmortem__incident")
        .order_by("owner_id", "due_date", "id")
    )
