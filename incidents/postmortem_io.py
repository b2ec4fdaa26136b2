"""A postmortem as one Markdown file with YAML front matter, and back.

The file is ``---``, the front matter, ``---``, then the body byte for byte. PyYAML
(already installed through drf-spectacular) writes and reads the front matter with
a fixed key order and safe loading only. Times are UTC in RFC 3339 with a ``Z``.
Exporting, importing that file and exporting again gives the same bytes: import sets
exactly what export writes, and nothing it writes depends on the database's ids.

Import checks every field of the file as the pages and the API check the same field
(types, lengths, slugs, URLs, plausible times) before it writes anything, and names
the field in its error: ``action_items.0.owner``. It never overwrites a postmortem
that exists here; only a file identical in content to its export is taken again."""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NoReturn

import yaml
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse

from .errors import DomainError
from .markdown import render_markdown
from .models import ActionItem, Incident, Postmortem, PostmortemRevision, Service
from .models.postmortems import BODY_MAX_LENGTH
from .postmortem_text import normalize_newlines
from .services.incidents import validate_times
from .signals import announce_change
from .timeparse import TimeFormatError, check_plausible, parse_instant

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
FRONT_KEYS = (
    "schema",
    "incident",
    "title",
    "services",
    "severity",
    "incident_status",
    "restricted",
    *INCIDENT_TIMES,
    "status",
    "published_at",
    "action_items",
)


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


def _refuse(path: str, message: str) -> NoReturn:
    raise DomainError(f"{path}: {message}", field=path)


def _text(value, path: str) -> str:
    if value is None:
        _refuse(path, "is required.")
    if not isinstance(value, str):
        _refuse(path, f"must be text, not {type(value).__name__}.")
    if "\x00" in value:
        # PostgreSQL text columns cannot hold NUL: saving one would fail as a 500.
        _refuse(path, "must not contain NUL characters.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # YAML's "\ud800" escape reads as a lone surrogate, which no database
            # encoding (and no response) can hold.
            _refuse(path, "must not contain surrogate characters.")
    return value


def _unknown(mapping: dict, known: tuple[str, ...]) -> str | None:
    """The first key that is not one of ``known``, printable in an error."""
    names = (str(key) for key in set(mapping) - set(known))
    return min(
        (name.encode("utf-8", "backslashreplace").decode() for name in names),
        default=None,
    )


def _field(model: type[models.Model], name: str, value, path: str):
    """The value as the model field cleans it: the length, slug, URL and date rules
    that the forms and the API apply to the same field."""
    try:
        return model._meta.get_field(name).clean(value, None)
    except ValidationError as error:
        _refuse(path, " ".join(error.messages))


def _choice(value, choices: type[models.TextChoices], path: str) -> str:
    if not isinstance(value, str) or value not in choices.values:
        _refuse(path, f"must be one of {', '.join(choices.values)}.")
    return value


def _time(value, path: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        # YAML reads an unquoted time itself; it still has to carry a zone.
        value = value.isoformat()
    if not isinstance(value, str):
        _refuse(
            path, "must be an RFC 3339 time with a zone, e.g. 2025-05-02T11:55:00Z."
        )
    try:
        instant = parse_instant(value)
        check_plausible(instant)
    except TimeFormatError as error:
        _refuse(path, str(error))
    return instant


def _date(value, path: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = _text(value, path)
    elif isinstance(value, datetime) or not isinstance(value, date):
        _refuse(path, "must be a date, e.g. 2025-06-01.")
    return _field(ActionItem, "due_date", value, path)


def _owner(value, path: str, users: dict[str, User]) -> User | None:
    if value is None:
        return None
    username = _text(value, path)
    if username not in users:
        users[username] = User.objects.filter(username=username).first()
    if users[username] is None:
        _refuse(path, f"no user named {username!r}.")
    return users[username]


def _item(entry, path: str, users: dict[str, User]) -> dict:
    if not isinstance(entry, dict):
        _refuse(path, f"must be a mapping of {', '.join(ITEM_KEYS)}.")
    unknown = _unknown(entry, ITEM_KEYS)
    if unknown is not None:
        _refuse(f"{path}.{unknown}", "is not a field of an action item.")
    title = _text(entry.get("title"), f"{path}.title").strip()
    tracker_url = entry.get("tracker_url") or ""
    if tracker_url:
        tracker_url = _text(tracker_url, f"{path}.tracker_url")
    return {
        "title": _field(ActionItem, "title", title, f"{path}.title"),
        "kind": _choice(entry.get("kind"), ActionItem.Kind, f"{path}.kind"),
        "owner": _owner(entry.get("owner"), f"{path}.owner", users),
        "due_date": _date(entry.get("due_date"), f"{path}.due_date"),
        "priority": _choice(
            entry.get("priority"), ActionItem.Priority, f"{path}.priority"
        ),
        "status": _choice(entry.get("status"), ActionItem.Status, f"{path}.status"),
        "tracker_url": _field(
            ActionItem, "tracker_url", tracker_url, f"{path}.tracker_url"
        ),
    }


def _items(value) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        _refuse("action_items", "must be a list.")
    users: dict[str, User] = {}
    return [_item(entry, f"action_items.{n}", users) for n, entry in enumerate(value)]


def _services(value) -> list[str]:
    if not isinstance(value, list) or not value:
        _refuse("services", "must be a non-empty list of service slugs.")
    slugs = set()
    for n, slug in enumerate(value):
        path = f"services.{n}"
        slugs.add(_field(Service, "slug", _text(slug, path), path))
    return sorted(slugs)


def _incident_facts(front: dict) -> dict:
    """The fields of the incident the file describes, checked as the incident API
    checks them, for creating it when this instance does not have it."""
    times = {name: _time(front.get(name), name) for name in INCIDENT_TIMES}
    if times["started_at"] is None:
        _refuse("started_at", "is required.")
    for name, message in validate_times(times).items():
        _refuse(name, message)
    status = _choice(front.get("incident_status"), Incident.Status, "incident_status")
    # Metrics read resolved_at and the pages read the status: they must agree.
    if status == Incident.Status.RESOLVED and times["resolved_at"] is None:
        _refuse("resolved_at", "a resolved incident needs its resolution time.")
    if status != Incident.Status.RESOLVED and times["resolved_at"] is not None:
        _refuse("resolved_at", f"an incident still {status} has no resolution time.")
    restricted = front.get("restricted")
    if restricted is not None and not isinstance(restricted, bool):
        _refuse("restricted", "must be true or false.")
    title = _text(front.get("title"), "title").strip()
    return {
        "title": _field(Incident, "title", title, "title"),
        "severity": _choice(front.get("severity"), Incident.Severity, "severity"),
        "status": status,
        # A file without the flag is taken as restricted: safer to hide than leak.
        "is_restricted": restricted is not False,
        **times,
    }


@dataclass(frozen=True)
class _File:
    key: str
    incident: dict
    services: list[str]
    status: str
    published_at: datetime | None
    items: list[dict]
    body: str


def _read(front: dict, body: str) -> _File:
    """Every field of the file, checked before anything is written."""
    unknown = _unknown(front, FRONT_KEYS)
    if unknown is not None:
        _refuse(unknown, "is not a field of an exported postmortem.")
    key = front.get("incident")
    status = _choice(front.get("status"), Postmortem.Status, "status")
    published_at = _time(front.get("published_at"), "published_at")
    # Only approval publishes, and it stamps the time. Stamping the import's time
    # instead would invent a date and break export, import, export.
    published = status == Postmortem.Status.PUBLISHED
    if published and published_at is None:
        _refuse("published_at", "a published postmortem needs its publication time.")
    if not published and published_at is not None:
        _refuse(
            "published_at", f"only a published postmortem has one; this is {status}."
        )
    _text(body, "body")
    if len(body) > BODY_MAX_LENGTH:
        _refuse("body", f"must have at most {BODY_MAX_LENGTH:,} characters.")
    return _File(
        key="" if key is None else _text(key, "incident"),
        incident=_incident_facts(front),
        services=_services(front.get("services")),
        status=status,
        published_at=published_at,
        items=_items(front.get("action_items")),
        body=body,
    )


def _create_incident(file: _File) -> Incident:
    incident = Incident.objects.create(**file.incident)
    incident.services.set(
        Service.objects.get_or_create(slug=slug, defaults={"name": slug})[0]
        for slug in file.services
    )
    return incident


def _import_again(postmortem: Postmortem, *, front: dict, body: str, actor) -> None:
    """Take a file identical in content to the postmortem's export as a repeat: it
    records a revision and changes nothing else. Any other file is refused, as
    replacing the record would lose its review state and its action items."""
    current, current_body = parse_export(export_postmortem(postmortem))
    changed = [key for key in FRONT_KEYS if front.get(key) != current.get(key)]
    if body != current_body:
        changed.append("body")
    if changed:
        key = postmortem.incident.key
        raise DomainError(
            f"{key} already has a postmortem "
            f"({postmortem.get_status_display().lower()}), and this file changes "
            f"its {', '.join(changed)}. An import never replaces a postmortem: "
            f"edit it at {reverse('incidents:postmortem-edit', args=[key])}.",
            field="incident",
            code="postmortem_exists",
        )

    postmortem.version += 1
    postmortem.save(update_fields=["version", "updated_at"])
    _record_import(postmortem, body, actor)


def _record_import(postmortem: Postmortem, body: str, actor: User | None) -> None:
    PostmortemRevision.objects.create(
        postmortem=postmortem,
        version=postmortem.version,
        body=body,
        author=actor,
        reason="Imported",
    )


@transaction.atomic
def import_postmortem(*, text: str, actor: User | None) -> Postmortem:
    """Create the postmortem the file describes, and its incident when this instance
    does not have the one the file names (with a key of this instance), so a
    postmortem can move between instances. An incident that exists keeps its facts
    as the incident pages recorded them."""
    front, body = parse_export(text)
    file = _read(front, body)

    pk = Incident.pk_from_key(file.key)
    # Locked, so two imports of one file cannot both create its postmortem.
    incident = (
        Incident.objects.select_for_update().filter(pk=pk).first() if pk else None
    )
    postmortem = (
        Postmortem.objects.select_for_update().filter(incident=incident).first()
        if incident
        else None
    )
    if postmortem is not None:
        _import_again(postmortem, front=front, body=body, actor=actor)
    else:
        incident = incident or _create_incident(file)
        postmortem = Postmortem.objects.create(
            incident=incident,
            author=actor,
            body=body,
            body_html=render_markdown(body),
            status=file.status,
            published_at=file.published_at,
        )
        _record_import(postmortem, body, actor)
        ActionItem.objects.bulk_create(
            ActionItem(postmortem=postmortem, **item) for item in file.items
        )

    announce_change(kind="postmortem", ids=[postmortem.pk])
    logger.info("Postmortem imported for %s", postmortem.incident.key)
    return postmortem
