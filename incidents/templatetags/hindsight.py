from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts import roles
from accounts.models import Role
from incidents.models import Incident, TimelineEntry

register = template.Library()


@register.simple_tag
def instant(value: datetime | None, empty: str = "—"):
    """A time in the viewer's zone, with the UTC instant on hover and in markup."""
    if value is None:
        return empty
    local = timezone.localtime(value)
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        local.strftime("%Y-%m-%d %H:%M %Z"),
    )


@register.filter
def duration(value: timedelta | float | None) -> str:
    """1d 4h, 3h 12m, 45m, 30s: the two largest units, for figures people scan."""
    if value is None:
        return "no data"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append(f"{amount}{unit}")
    return " ".join(p for p in parts[:2] if not p.startswith("0")) or "0m"


@register.filter
def has_role(user, role: str) -> bool:
    """{% if user|has_role:"admin" %}: the roles' own rule, from cached groups."""
    return roles.has_role(user, Role(role))


_KIND_LABELS = dict(TimelineEntry.Kind.choices)
_TAG_LABELS = dict(TimelineEntry.Tag.choices)


def _entry_author(entry: TimelineEntry, incident: Incident) -> str:
    if entry.author_id:
        return str(entry.author)
    from_alerts = entry.kind == TimelineEntry.Kind.ALERT or (
        incident.source == Incident.Source.ALERTMANAGER
        and entry.kind == TimelineEntry.Kind.STATUS_CHANGE
    )
    return "Alertmanager" if from_alerts else "system"


def _entry_body(entry: TimelineEntry):
    correction = entry.correction
    if correction is None:
        # Sanitized by incidents.markdown when the entry was written.
        return mark_safe(entry.body_html)
    return format_html(
        "<p>{} changed from {} to {}</p>",
        correction.label,
        instant(correction.old, "(none)"),
        instant(correction.new, "(none)"),
    )


@register.simple_tag
def timeline_items(entries, incident: Incident):
    """The timeline's <li> items. Built here rather than in a template loop: a page
    can hold hundreds of entries, and the template engine costs about ten times as
    much per entry."""
    items = []
    for entry in entries:
        tag = (
            format_html(' <span class="tag">{}</span>', _TAG_LABELS[entry.tag])
            if entry.tag
            else ""
        )
        items.append(
            format_html(
                '<li class="kind-{}{}"><div class="meta">{} · {}{} · {}</div>'
                '<div class="markdown">{}</div></li>',
                entry.kind,
                f" tag-{entry.tag}" if entry.tag else "",
                instant(entry.occurred_at),
                _KIND_LABELS.get(entry.kind, entry.kind),
                tag,
                _entry_author(entry, incident),
                _entry_body(entry),
            )
        )
    if not items:
        return mark_safe('<li class="muted">Nothing recorded yet.</li>')
    return mark_safe("\n".join(items))


_STATUS_LABELS = dict(Incident.Status.choices)


@register.simple_tag
def incident_rows(incidents):
    """The incident table's rows, built here for the same reason as the timeline:
    fifty rows through the template engine cost several times more."""
    rows = []
    for incident in incidents:
        alert = (
            mark_safe(
                ' <span class="tag" title="Opened by an Alertmanager notification">'
                "alert</span>"
            )
            if incident.source == Incident.Source.ALERTMANAGER
            else ""
        )
        rows.append(
            format_html(
                '<tr class="{}"><td><a href="{}">{}</a></td>'
                '<td><span class="sev sev-{}">{}</span></td><td>{}{}</td>'
                '<td class="status status-{}">{}</td>'
                '<td class="hide-narrow">{}</td><td class="hide-narrow">{}</td>'
                '<td class="hide-narrow">{}</td></tr>',
                "is-open" if incident.is_open else "is-resolved",
                incident.get_absolute_url(),
                incident.key,
                incident.severity.lower(),
                incident.severity,
                incident.title,
                alert,
                incident.status,
                _STATUS_LABELS.get(incident.status, incident.status),
                ", ".join(service.slug for service in incident.services.all()),
                incident.commander or "—",
                instant(incident.started_at),
            )
        )
    if not rows:
        return mark_safe(
            '<tr><td colspan="7" class="muted">No incidents match.</td></tr>'
        )
    return mark_safe("\n".join(rows))
