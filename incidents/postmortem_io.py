"""A postmortem as one Markdown file with YAML front matter, and back.

The file is ``---``, the front matter, ``---``, then the body byte for byte. PyYAML
(already installed through drf-spectacular) writes and reads the front matter with
a fixed key order and safe loading only. Times are UTC in RFC 3339 with a ``Z``.
Exporting, importing that file and exporting again gives the same bytes: import sets
exactly what export writes, and nothing it writes depends on the database's ids."""

import logging
from datetime import UTC, date, datetime

import yaml
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .errors import DomainError
from .markdown import render_markdown
from .models import ActionItem, Incident, Postmortem, PostmortemRevision, Service
from .postmortem_text import normalize_newlines
from .signals import announce_change

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DELIMITER = "---\n"
INCIDENT_TIMES = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
)
ITEM_KEYS = ("title", "kind", "owner", "due_date", "priority", "status", "tracker_url")


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _front_matter(postmortem: Postmortem) -> dict:
    incident = postmortem.incident
    items = postmortem.action_items.select_related("owner").order_by("id")
    return {
        "schema": SCHEMA_VERSION,
        "incident": incident.key,
        "title": str(incident.title),
        "services": sorted(s.slug for s in incident.services.all()),
        "severity": str(incident.severity),
        "incident_status": str(incident.status),
        "restricted": bool(incident.is_restricted),
        **{name: _utc(getattr(incident, name)) for name in INCIDENT_TIMES},
        "status": str(postmortem.status),
        "published_at": _utc(postmortem.published_at),
        "action_items": [
            {
                "title": str(item.title),
                "kind": str(item.kind),
                "owner": item.owner.get_username() if item.owner else None,
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "priority": str(item.priority),
                "status": str(item.status),
                "tracker_url": str(item.tracker_url),
            }
            for item in items
        ],
    }


def export_postmortem(postmortem: Postmortem) -> str:
    front = yaml.safe_dump(
        _front_matter(postmortem),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )
    return DELIMITER + front + DELIMITER + postmortem.body


def parse_export(text: str) -> tuple[dict, str]:
    text = normalize_newlines(text)
    if not text.startswith(DELIMITER):
        raise DomainError("The file must begin with '---' front matter.", field="file")
    end = text.find("\n" + DELIMITER, len(DELIMITER) - 1)
    if end == -1:
        raise DomainError("The front matter has no closing '---'.", field="file")
    try:
        front = yaml.safe_load(text[len(DELIMITER) : end + 1])
    except yaml.YAMLError as error:
        raise DomainError(
            f"The front matter is not valid YAML: {error}", field="file"
        ) from error
    if not isinstance(front, dict) or front.get("schema") != SCHEMA_VERSION:
        raise DomainError(
            f"The front matter must be a mapping with schema: {SCHEMA_VERSION}.",
            field="file",
        )
    return front, text[end + 1 + len(DELIMITER) :]


def _time(front: dict, name: str) -> datetime | None:
    value = front.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise DomainError(f"{name} must be an RFC 3339 time with a zone.", field=name)
    return parsed.astimezone(UTC)


def _choice(value, choices, name: str) -> str:
    if value not in choices.values:
        raise DomainError(
            f"{name} must be one of {', '.join(choices.values)}.", field=name
        )
    return value


def _items(front: dict) -> list[dict]:
    raw = front.get("action_items") or []
    if not isinstance(raw, list):
        raise DomainError("action_items must be a list.", field="action_items")
    users = {}
    items = []
    for number, entry in enumerate(raw, start=1):
        field = f"action_items[{number}]"
        if not isinstance(entry, dict) or set(entry) - set(ITEM_KEYS):
            raise DomainError(f"{field} has unknown keys.", field=field)
        owner = entry.get("owner")
        if owner is not None and owner not in users:
            users[owner] = User.objects.filter(username=owner).first()
            if users[owner] is None:
                raise DomainError(f"{field}: no user named {owner!r}.", field=field)
        due = entry.get("due_date")
        try:
            due = date.fromisoformat(str(due)) if due is not None else None
        except ValueError as error:
            raise DomainError(
                f"{field}: due_date must be YYYY-MM-DD.", field=field
            ) from error
        items.append(
            {
                "title": str(entry.get("title") or "").strip()
                or _missing(f"{field}.title"),
                "kind": _choice(entry.get("kind"), ActionItem.Kind, f"{field}.kind"),
                "owner": users.get(owner),
                "due_date": due,
                "priority": _choice(
                    entry.get("priority"), ActionItem.Priority, f"{field}.priority"
                ),
                "status": _choice(
                    entry.get("status"), ActionItem.Status, f"{field}.status"
                ),
                "tracker_url": str(entry.get("tracker_url") or ""),
            }
        )
    return items


def _missing(field: str):
    raise DomainError(f"{field} is required.", field=field)


def _incident(front: dict) -> Incident:
    """The incident the file names when it exists here: its facts stay as the
    incident pages recorded them. Otherwise a new incident from the file's facts
    (with a key of this instance), so a postmortem can move between instances."""
    pk = Incident.pk_from_key(str(front.get("incident") or ""))
    incident = Incident.objects.filter(pk=pk).first() if pk else None
    if incident is not None:
        return incident

    times = {name: _time(front, name) for name in INCIDENT_TIMES}
    if times["started_at"] is None:
        _missing("started_at")
    services = front.get("services") or []
    if not isinstance(services, list) or not services:
        raise DomainError("services must be a non-empty list.", field="services")
    incident = Incident.objects.create(
        title=str(front.get("title") or "").strip() or _missing("title"),
        severity=_choice(front.get("severity"), Incident.Severity, "severity"),
        status=_choice(
            front.get("incident_status"), Incident.Status, "incident_status"
        ),
        # A file without the flag is taken as restricted: safer to hide than leak.
        is_restricted=front.get("restricted") is not False,
        **times,
    )
    incident.services.set(
        Service.objects.get_or_create(slug=str(slug), defaults={"name": str(slug)})[0]
        for slug in services
    )
    return incident


@transaction.atomic
def import_postmortem(*, text: str, actor: User | None) -> Postmortem:
    """Create or replace the postmortem the file describes. The body becomes a new
    revision, so nothing the postmortem held before is lost."""
    front, body = parse_export(text)
    status = _choice(front.get("status"), Postmortem.Status, "status")
    published_at = _time(front, "published_at")
    items = _items(front)
    incident = _incident(front)

    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is None:
        postmortem = Postmortem(incident=incident, author=actor, version=0)
    postmortem.version += 1
    postmortem.body = body
    postmortem.body_html = render_markdown(body)
    postmortem.status = status
    postmortem.published_at = published_at
    postmortem.updated_at = timezone.now()
    postmortem.save()
    PostmortemRevision.objects.create(
        postmortem=postmortem,
        version=postmortem.version,
        body=body,
        author=actor,
        reason="Imported",
    )
    postmortem.action_items.all().delete()
    ActionItem.objects.bulk_create(
        ActionItem(postmortem=postmortem, **item) for item in items
    )

    announce_change(kind="postmortem", ids=[postmortem.pk])
    logger.info("Postmortem imported for %s", incident.key)
    return postmortem
