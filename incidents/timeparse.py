"""Reading instants that arrive from outside. Senders write times in many shapes
(RFC 3339 with any fraction and offset, GitLab's ``2025-05-02 11:55:16 +0000``); all are
accepted as long as they carry a zone, and stored in UTC. A time without a zone is
refused, because guessing one would silently shift it by hours."""

from datetime import UTC, datetime

# Alertmanager marks "no end time" with Go's zero time.
GO_ZERO_TIME_PREFIX = "0001-01-01T00:00:00"


class TimeFormatError(ValueError):
    pass


def parse_instant(value: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise TimeFormatError("Expected a time such as 2025-05-02T11:55:16Z.")

    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeFormatError(
            f"Cannot read {text[:40]!r} as a time; use RFC 3339, e.g. "
            "2025-05-02T11:55:16Z."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TimeFormatError(
            f"{text[:40]!r} has no time zone; add Z or an offset such as +02:00."
        )
    return parsed.astimezone(UTC)


def is_go_zero_time(value: str | None) -> bool:
    return bool(value) and value.startswith(GO_ZERO_TIME_PREFIX)
