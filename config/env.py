"""Typed readers for settings that come from the environment.

Each helper refuses a malformed value with an ImproperlyConfigured error that names
the variable, so a typo stops start-up instead of surfacing later as odd behaviour.
"""

import ipaddress
import os
import zoneinfo
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip()


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default

    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (true/false, 1/0, yes/no), got {value!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default

    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, got {value!r}"
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)

    items = [item.strip() for item in value.split(",")]
    items = [item for item in items if item]
    if not items:
        raise ImproperlyConfigured(
            f"{name} must be a comma-separated list with at least one item"
        )
    return items


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name} must be an IANA time zone such as Europe/Berlin, got {value!r}"
        ) from None
    return value


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_duration(name: str, default: timedelta) -> timedelta:
    """Read a duration written as a number with a unit: 90s, 30m, 24h, 7d."""
    value = _raw(name)
    if value is None or value == "":
        return default

    unit = value[-1:].lower()
    amount = value[:-1]
    if unit not in _DURATION_UNITS or not amount.isdigit():
        raise ImproperlyConfigured(
            f"{name} must be a duration such as 90s, 30m, 24h or 7d, got {value!r}"
        )
    return timedelta(seconds=int(amount) * _DURATION_UNITS[unit])


def env_url(name: str, *, schemes: tuple[str, ...]) -> str:
    value = env_str(name)
    if not value:
        return ""

    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}")
    return value


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of addresses or networks (10.0.0.0/8, ::1)."""
    value = _raw(name)
    items = default if value is None or value == "" else env_list(name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks, got {item!r}"
            ) from None
    return list(items)
