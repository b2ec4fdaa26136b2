from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html

from accounts import roles
from accounts.models import Role

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
