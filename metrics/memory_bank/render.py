"""Shared rendering for the memory-bank files: front matter, tables, times, links,
and the scrubbing that keeps secrets and e-mail addresses out of every file."""

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

SCHEMA_VERSION = 1

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>()|`\"']+", re.IGNORECASE)
# Credentials that announce themselves: our API tokens, the big providers' key
# formats, bearer headers, and key=value pairs whose key names a secret.
_SECRET_PATTERNS = [
    re.compile(r"\bhs_[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9]{10,}"),
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
        re.S,
    ),
    re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{12,}"),
    re.compile(
        r"\b((?:[a-z0-9_-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey"
        r"|access[_-]?key|private[_-]?key|credentials?|authorization)[a-z0-9_-]*)"
        r"\s*[:=]\s*)"
        r"[\"']?[^\s\"',;|]+",
        re.IGNORECASE,
    ),
]
# Query parameters and hosts that make a URL a credential in itself.
_WEBHOOK_HOSTS = (
    "hooks.slack.com",
    "discord.com/api/webhooks",
    "discordapp.com/api/webhooks",
    "webhook.office.com",
    "outlook.office.com/webhook",
    "events.pagerduty.com",
)
_REDACTED = "[redacted]"
_EMAIL_REDACTED = "[e-mail removed]"
_URL_REDACTED = "[webhook URL removed]"


def scrub(text: str | None) -> str:
    """Free text made safe to publish: no e-mail address, secret or webhook URL."""
    if not text:
        return ""
    text = _URL.sub(lambda m: safe_url(m.group(0)) or _URL_REDACTED, text)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_redact_match, text)
    return _EMAIL.sub(_EMAIL_REDACTED, text)


def _redact_match(match: re.Match) -> str:
    # Keep "password=" so that the reader knows what was there.
    prefix = match.group(1) if match.re.groups else ""
    return f"{prefix}{_REDACTED}"


def safe_url(url: str | None) -> str:
    """A URL without user info, query or fragment, or "" if the URL is itself a
    credential (a chat or paging webhook, or one whose path says webhook/hook)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""

    lowered = f"{parts.hostname}{parts.path}".lower()
    if any(lowered.startswith(host) for host in _WEBHOOK_HOSTS) or re.search(
        r"/(?:web)?hooks?(?:/|$)", parts.path.lower()
    ):
        return ""
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme.lower(), host, parts.path, "", ""))


def cell(value) -> str:
    """One table cell: scrubbed, on one line, with pipes escaped."""
    if value is None or value == "":
        return "–"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    text = scrub(str(value))
    text = " ".join(text.split())
    return text.replace("|", "\\|")


def clip(text: str | None, limit: int) -> str:
    """Scrubbed first, then shortened, so that a cut never leaves half a secret."""
    text = " ".join(scrub(text).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)
    if len(lines) == 2:
        return "_None._\n"
    return "\n".join(lines) + "\n"


def iso(moment: datetime | None) -> str:
    if moment is None:
        return "–"
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def app_link(path: str) -> str:
    return settings.HINDSIGHT_BASE_URL.rstrip("/") + path


def md_link(text: str, path: str) -> str:
    label = cell(text).replace("[", "\\[").replace("]", "\\]")
    return f"[{label}]({app_link(path)})"


def number(value: Decimal | float | int) -> str:
    """A figure without trailing zeros or exponent: 99.9000 -> 99.9, 100.00 -> 100."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return f"{value:g}"


def percent(value: float | Decimal | None, *, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def duration(seconds: float | None) -> str:
    """Seconds as a short, stable human figure (``2h 05m``, ``3d 4h``)."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def front_matter(fields: dict) -> str:
    """YAML front matter written by hand, so that key order and quoting never depend
    on a library version: nested dicts become blocks, strings are double-quoted."""
    return "---\n" + "".join(_yaml_lines(fields, 0)) + "---\n"


def _yaml_lines(mapping: dict, indent: int) -> Iterable[str]:
    pad = "  " * indent
    for key, value in mapping.items():
        if isinstance(value, dict):
            yield f"{pad}{key}:\n"
            yield from _yaml_lines(value, indent + 1)
        else:
            yield f"{pad}{key}: {_yaml_scalar(value)}\n"


def _yaml_scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = iso(value)
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{text}"'


def about_section(title: str, lines: Sequence[str]) -> str:
    body = "\n".join(lines)
    return f"# {title}\n\n## About this file\n\n{body}\n"


def final_scrub(document: str) -> str:
    """A last pass over the whole document, in case a cell builder forgot one."""
    return _EMAIL.sub(_EMAIL_REDACTED, document)
