"""Alertmanager notifications open and update incidents.

One incident per alert group while it is open. A group is Alertmanager's
``groupKey`` as sent by one integration (the token's user, who is the incident's
``created_by``): two Alertmanagers with the same routes send the same keys for
alerts of their own, and one of them resolving must not settle the other's group.

Every alert, known by its fingerprint, lands in the timeline once per (start,
status): the entry's ``data`` carries ``fingerprint``, ``starts_at`` and ``status``,
and that triple is the de-duplication key, so a notification delivered twice
(Alertmanager retries and repeats) records nothing new. When every alert of the
group has resolved (the notification's own status turns "resolved"), the incident
moves to ``monitoring``; a person resolves it.

An alert keeps belonging to the incident that recorded it: after a person resolves
an incident while its alerts still fire, their repeats and later resolutions go to
that incident's timeline and leave it resolved. Only an alert that newly starts
firing (a new fingerprint or a new start) opens the group's next incident.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..markdown import escape_markdown, render_markdown
from ..models import Incident, Service, TimelineEntry
from .deployments import get_or_create_service
from .incidents import (
    change_status,
    declare_incident,
    update_incident,
)

logger = logging.getLogger(__name__)

Status = Incident.Status
Severity = Incident.Severity

FIRING, RESOLVED = "firing", "resolved"

DEFAULT_SEVERITY_LABEL = "severity"
DEFAULT_SEVERITY_MAP = {
    "critical": Severity.SEV1,
    "error": Severity.SEV2,
    "major": Severity.SEV2,
    "high": Severity.SEV2,
    "warning": Severity.SEV3,
    "info": Severity.SEV4,
    "low": Severity.SEV4,
}
DEFAULT_SEVERITY = Severity.SEV3
DEFAULT_SERVICE_LABELS = ("service", "app", "job")

# What of an alert's text the timeline shows. A longer summary is cut; a longer
# link is left out, since a cut one would lead somewhere else (8 KB is the request
# line most proxies accept, so a longer one could not be followed anyway).
SUMMARY_LIMIT = 2000
GENERATOR_URL_LIMIT = 8192

# Incident.alert_group_key holds up to 500 characters; longer keys are stored as a
# digest, which is just as unique and still compared exactly.
_GROUP_KEY_LIMIT = 500


@dataclass(frozen=True)
class Alert:
    status: str
    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""
    generator_url: str = ""

    @property
    def identity(self) -> str:
        """Alertmanager's fingerprint, or a stable hash of the labels without one."""
        if self.fingerprint:
            return self.fingerprint
        canonical = json.dumps(self.labels, sort_keys=True, separators=(",", ":"))
        return "labels:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "alert")

    def dedupe_key(self) -> tuple[str, str, str]:
        return (self.identity, self.starts_at.isoformat(), self.status)


@dataclass(frozen=True)
class Notification:
    group_key: str
    status: str
    alerts: list[Alert]
    receiver: str = ""
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0


@dataclass(frozen=True)
class AlertOutcome:
    incident: Incident | None
    created: bool
    recorded: int


def stored_group_key(group_key: str) -> str:
    if len(group_key) <= _GROUP_KEY_LIMIT:
        return group_key
    return "sha256:" + hashlib.sha256(group_key.encode()).hexdigest()


def severity_for(labels: dict[str, str]) -> str:
    label = getattr(settings, "ALERTMANAGER_SEVERITY_LABEL", DEFAULT_SEVERITY_LABEL)
    mapping = getattr(settings, "ALERTMANAGER_SEVERITY_MAP", DEFAULT_SEVERITY_MAP)
    value = labels.get(label, "").strip()
    if value.upper() in Severity.values:
        return value.upper()
    lowered = {key.lower(): sev for key, sev in mapping.items()}
    return lowered.get(
        value.lower(),
        getattr(settings, "ALERTMANAGER_DEFAULT_SEVERITY", DEFAULT_SEVERITY),
    )


def service_slug_for(labels: dict[str, str]) -> str:
    names = getattr(settings, "ALERTMANAGER_SERVICE_LABELS", DEFAULT_SERVICE_LABELS)
    for name in names:
        slug = slugify(labels.get(name, ""))[:100]
        if slug:
            return slug
    return ""


def _most_severe(severities) -> str:
    # SEV1 sorts first, and it is the most severe.
    return min(severities)


# An incident affects at least one service; alerts that name none land here, where
# a person can see them and move the incident to the right service.
UNASSIGNED_SERVICE = "unassigned"


def _services(alerts: list[Alert]) -> list[Service]:
    slugs = {service_slug_for(alert.labels) for alert in alerts}
    slugs.discard("")
    return [
        get_or_create_service(slug) for slug in sorted(slugs or {UNASSIGNED_SERVICE})
    ]


def _title(notification: Notification, alerts: list[Alert]) -> str:
    labels = {**notification.group_labels, **notification.common_labels}
    name = labels.get("alertname") or alerts[0].name
    summary = notification.common_annotations.get("summary", "")
    return (f"{name}: {summary}" if summary else name)[:300]


def _summary(notification: Notification) -> str:
    lines = []
    description = notification.common_annotations.get("description", "")
    if description:
        lines.append(description)
    lines.append(f"Opened by Alertmanager receiver `{notification.receiver or '?'}`.")
    if notification.external_url:
        lines.append(f"Alertmanager: <{notification.external_url}>")
    return "\n\n".join(lines)


def _lock_group(group_key: str, sender: User | None) -> None:
    """Serialise notifications of one group, so that two deliveries arriving at
    once cannot both open an incident. SQLite already runs one write transaction
    at a time (IMMEDIATE mode)."""
    if connection.vendor != "postgresql":
        return
    scoped = f"{sender.pk if sender else ''}:{group_key}"
    digest = hashlib.sha256(scoped.encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])


def _group(group_key: str, sender: User | None):
    return Incident.objects.filter(
        source=Incident.Source.ALERTMANAGER,
        alert_group_key=group_key,
        created_by=sender,
    ).order_by("-id")


def _seen(incident: Incident) -> dict[tuple[str, str, str], None]:
    # Only the three keys: a big group's entries carry every alert's labels too.
    return dict.fromkeys(
        incident.timeline.filter(kind=TimelineEntry.Kind.ALERT).values_list(
            "data__fingerprint", "data__starts_at", "data__status"
        )
    )


def _started(alert: Alert) -> tuple[str, str]:
    return (alert.identity, alert.starts_at.isoformat())


def _latest_states(keys) -> dict[str, str]:
    """The latest status of every alert seen. For one alert a later start wins, and
    at the same start "resolved" wins over "firing", so deliveries that arrive out
    of order settle the same way."""
    latest: dict[str, tuple[str, bool]] = {}
    for fingerprint, starts_at, status in keys:
        rank = (starts_at, status == RESOLVED)
        latest[fingerprint] = max(latest.get(fingerprint, rank), rank)
    return {fp: RESOLVED if rank[1] else FIRING for fp, rank in latest.items()}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _body(alert: Alert) -> str:
    summary = alert.annotations.get("summary") or alert.annotations.get(
        "description", ""
    )
    verb = "firing" if alert.status == FIRING else "resolved"
    body = f"Alert {verb}: **{escape_markdown(alert.name)}**" + (
        f" — {escape_markdown(_clip(summary, SUMMARY_LIMIT))}" if summary else ""
    )
    if alert.generator_url and len(alert.generator_url) <= GENERATOR_URL_LIMIT:
        body += f" ([source]({alert.generator_url}))"
    return body


def _record(incident: Incident, alerts: list[Alert], now: datetime) -> None:
    """Bulk inserts: a group of thousands of alerts costs a few queries, not one
    per alert."""
    # Alerts of one group often share their text; each body is rendered once.
    rendered: dict[str, str] = {}
    entries = []
    for alert in alerts:
        body = _body(alert)
        if body not in rendered:
            rendered[body] = render_markdown(body)
        entries.append(
            TimelineEntry(
                incident=incident,
                kind=TimelineEntry.Kind.ALERT,
                body=body,
                body_html=rendered[body],
                occurred_at=(
                    alert.starts_at
                    if alert.status == FIRING
                    else (alert.ends_at or now)
                ),
                data={
                    "fingerprint": alert.identity,
                    "starts_at": alert.starts_at.isoformat(),
                    "status": alert.status,
                    "alertname": alert.name,
                    "labels": alert.labels,
                },
            )
        )
    TimelineEntry.objects.bulk_create(entries, batch_size=500)


def _open_incident(
    notification: Notification, alerts: list[Alert], actor, key: str
) -> Incident:
    """Open the group's incident from ``alerts``, the ones no earlier incident
    recorded: its start, severity and services are theirs."""
    firing = [a for a in alerts if a.status == FIRING]
    incident = declare_incident(
        title=_title(notification, alerts),
        severity=_most_severe(severity_for(a.labels) for a in firing),
        services=_services(alerts),
        actor=actor,
        started_at=min(a.starts_at for a in alerts),
        summary=_summary(notification),
        source=Incident.Source.ALERTMANAGER,
        alert_group_key=key,
    )
    logger.info("Incident %s opened from Alertmanager group", incident.key)
    return incident


def _widen(incident: Incident, actor, new_alerts: list[Alert]) -> None:
    """New alerts of a known group may start earlier, be more severe or name more
    services; the incident grows to match (each change is a timeline entry)."""
    changes = {}
    earliest = min(a.starts_at for a in new_alerts)
    if earliest < incident.started_at:
        changes["started_at"] = earliest
    firing = [a for a in new_alerts if a.status == FIRING]
    if firing:
        severity = _most_severe(severity_for(a.labels) for a in firing)
        if severity < incident.severity:
            changes["severity"] = severity
    current = list(incident.services.all())
    extra = [s for s in _services(new_alerts) if s not in current]
    if extra:
        changes["services"] = current + extra
    if changes:
        update_incident(incident=incident, actor=actor, **changes)


def _settle_status(
    incident: Incident, notification: Notification, seen, new_alerts, actor, now
) -> None:
    """The group's own status is authoritative for "every alert resolved": it stays
    "firing" while any alert of the group fires, even one cut from a truncated
    notification."""
    incident.refresh_from_db()
    if notification.status == RESOLVED:
        if incident.status in (Status.INVESTIGATING, Status.IDENTIFIED):
            ends = [a.ends_at for a in new_alerts if a.status == RESOLVED and a.ends_at]
            at = max(min(max(ends, default=now), now), incident.started_at)
            change_status(
                incident=incident,
                status=Status.MONITORING,
                actor=actor,
                at=at,
                acknowledges=False,
            )
        return

    latest = _latest_states(seen)
    refired = any(
        a.status == FIRING and latest[a.identity] == FIRING for a in new_alerts
    )
    if refired and incident.status == Status.MONITORING:
        change_status(incident=incident, status=Status.INVESTIGATING, actor=actor)


def _unseen(alerts: list[Alert], seen: dict) -> list[Alert]:
    new_alerts = []
    for alert in sorted(alerts, key=lambda a: (a.starts_at, a.status)):
        if alert.dedupe_key() in seen:
            continue
        seen[alert.dedupe_key()] = None
        new_alerts.append(alert)
    return new_alerts


@transaction.atomic
def receive_notification(
    *, notification: Notification, actor: User | None
) -> AlertOutcome:
    key = stored_group_key(notification.group_key)
    _lock_group(key, actor)
    incident = _group(key, actor).open().first()
    if incident is None:
        return _without_open_incident(notification, actor, key)
    return _apply(incident, notification, notification.alerts, _seen(incident), actor)


def _without_open_incident(
    notification: Notification, actor: User | None, key: str
) -> AlertOutcome:
    latest = _group(key, actor).first()
    seen = _seen(latest) if latest else {}
    known = {(fingerprint, starts_at) for fingerprint, starts_at, _ in seen}
    fresh = [a for a in notification.alerts if _started(a) not in known]
    if any(a.status == FIRING for a in fresh):
        incident = _open_incident(notification, fresh, actor, key)
        # The alerts still firing from the resolved incident are recorded here too,
        # so that their repeats do not stretch this incident back to their start.
        return _apply(
            incident, notification, notification.alerts, {}, actor, created=True
        )

    carried = [a for a in notification.alerts if _started(a) in known]
    if not carried:
        logger.info("Ignored a resolved Alertmanager group with no open incident")
        return AlertOutcome(incident=None, created=False, recorded=0)
    return _apply(latest, notification, carried, seen, actor)


def _apply(
    incident: Incident,
    notification: Notification,
    alerts: list[Alert],
    seen: dict,
    actor: User | None,
    *,
    created: bool = False,
) -> AlertOutcome:
    now = timezone.now()
    new_alerts = _unseen(alerts, seen)
    if not new_alerts:
        return AlertOutcome(incident=incident, created=created, recorded=0)

    if not incident.is_open:
        # A person resolved it while these alerts fired: what they do next is
        # recorded, and the person's decision stands.
        _record(incident, new_alerts, now)
        return AlertOutcome(incident=incident, created=False, recorded=len(new_alerts))

    if not created:
        _widen(incident, actor, new_alerts)
    _record(incident, new_alerts, now)
    _settle_status(incident, notification, seen, new_alerts, actor, now)
    incident.refresh_from_db()
    return AlertOutcome(incident=incident, created=created, recorded=len(new_alerts))
