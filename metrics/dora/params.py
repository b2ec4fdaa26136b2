"""Reading a DORA request's window, filters and benchmark year from query parameters,
shared by the API and the pages."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from incidents.errors import DomainError
from incidents.timeparse import TimeFormatError, parse_instant

DEFAULT_DAYS = 30
WINDOW_CHOICES = (7, 30, 90, 365)
MAX_DAYS = 3660
EARLIEST_YEAR = 1990
LATEST_YEAR = 2200


@dataclass(frozen=True)
class DoraRequest:
    start: datetime
    end: datetime
    service: str | None
    team: str | None
    benchmark_year: int | None
    days: int | None  # the preset, when the window is one
    ends_now: bool = False  # "the last N days": no start or end was given

    @property
    def cache_identity(self) -> dict:
        """What tells this window apart in a cache: a window that ends now is one
        entry whatever the minute (a stale copy is served while it is refreshed);
        any other window is its own entry, so a given end is never ignored."""
        identity = {
            "service": self.service,
            "team": self.team,
            "benchmark": self.benchmark_year,
        }
        if self.ends_now:
            return {**identity, "days": self.days}
        return {**identity, "start": self.start, "end": self.end}

    def as_kwargs(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "service": self.service,
            "team": self.team,
        }


def _text(params, name: str) -> str | None:
    value = params.get(name)
    return value.strip() if value and value.strip() else None


def _instant(value: str, *, field: str, dates: bool) -> datetime:
    """RFC 3339 with a zone; on pages also a plain date, as midnight in the
    viewer's zone (the one the page shows times in)."""
    if dates and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise DomainError("Use a date such as 2025-05-02.", field=field) from None
        _check_year(day.year, field)
        if field == "end":
            day += timedelta(days=1)  # an end date on a page includes that day
        zone = timezone.get_current_timezone()
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    try:
        instant = parse_instant(value)
    except TimeFormatError as error:
        raise DomainError(str(error), field=field) from None
    _check_year(instant.year, field)
    return instant


def _check_year(year: int, field: str) -> None:
    # Beyond these the window arithmetic (a day added, the inference reach
    # subtracted) leaves the calendar; no record lies there anyway.
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DomainError(
            f"Give a time between {EARLIEST_YEAR} and {LATEST_YEAR}.", field=field
        )


def _whole_number(text: str) -> bool:
    # str.isdigit() also accepts digits such as "²" that int() cannot read.
    return text.isascii() and text.isdigit()


def _now(*, floor_to_minute: bool) -> datetime:
    now = timezone.now()
    # Pages round "now" down to the minute so that their figures can be cached for
    # the rest of that minute; a new deployment then shows within a minute.
    return now.replace(second=0, microsecond=0) if floor_to_minute else now


def parse_dora_request(params, *, pages: bool = False) -> DoraRequest:
    """Refuses bad input with a DomainError naming the parameter."""
    days = None
    raw_days = _text(params, "days")
    if raw_days is not None:
        if not _whole_number(raw_days) or not 1 <= int(raw_days) <= MAX_DAYS:
            raise DomainError(f"Give a number of days up to {MAX_DAYS}.", field="days")
        days = int(raw_days)

    raw_start, raw_end = _text(params, "start"), _text(params, "end")
    end = (
        _instant(raw_end, field="end", dates=pages)
        if raw_end
        else _now(floor_to_minute=pages)
    )
    if raw_start:
        start = _instant(raw_start, field="start", dates=pages)
        days = None
    else:
        days = days or DEFAULT_DAYS
        start = end - timedelta(days=days)
    if start >= end:
        raise DomainError("The window must end after it starts.", field="end")
    if end - start > timedelta(days=MAX_DAYS):
        raise DomainError(f"The window is longer than {MAX_DAYS} days.", field="start")

    benchmark = _text(params, "benchmark")
    if benchmark is not None and not _whole_number(benchmark):
        raise DomainError("Give a report year such as 2023.", field="benchmark")
    return DoraRequest(
        start=start,
        end=end,
        service=_text(params, "service"),
        team=_text(params, "team"),
        benchmark_year=int(benchmark) if benchmark else None,
        days=days,
        ends_now=not raw_start and not raw_end,
    )
