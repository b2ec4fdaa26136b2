"""Reading instants that arrive from outside. Senders write times in many shapes
(RFC 3339 with any fraction and offset, GitLab's ``2025-05-02 11:55:16 +0000``); all are
accepted as long as they carry a zone, and stored in UTC. A time without a zone is
refused, because guessing one would silently shift it by hours."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

# Alertmanager marks "no end time" with Go's zero time.
GO_ZERO_TIME_PREFIX = "0001-01-01T00:00:00"

# A record of what happened: a time well in the future, or before there was software
# to deploy, is a client's mistake (a default, a unit slip) that would skew every
# figure derived from it. A day of slack covers skewed clocks.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


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
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59:59-05:00 reads, but lies past the last instant a
        # datetime holds once moved to UTC (as 0001-01-01T00:00:00+05:00 lies
        # before the first).
        raise TimeFormatError(f"{text[:40]!r} is out of range.") from None


def check_plausible(instant: datetime) -> None:
    """Refuse a time outside EARLIEST .. now + FUTURE_SLACK with TimeFormatError."""
    if instant < EARLIEST:
        raise TimeFormatError("Cannot be before 1990.")
    if instant > timezone.now() + FUTURE_SLACK:
        raise TimeFormatError("Cannot be more than a day in the future.")


def is_go_zero_time(value: str | None) -> bool:
    return bool(value) and value.startswith(GO_ZERO_TIME_PREFIX)
