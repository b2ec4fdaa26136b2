"""What every memory-bank renderer shares: the moment it speaks for and the size bound.

Byte-identical re-exports need every time-dependent figure to be pinned to something
coarser than the clock:
- DORA and incident windows end at the UTC midnight after ``today``, so they are whole
  days and the same for every export on one day;
- SLO budgets, burn rates and freezes are evaluated at ``evaluated_at``, the start of
  the current UTC hour, so they are at most an hour old;
- ``data_as_of`` (also the front matter's ``generated_at``) is the latest change time
  found in the record, never the wall clock.
So unchanged data gives byte-identical files within an hour, and the files change
later only when a figure that depends on time really moves."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from . import selectors

WINDOWS_DAYS = (30, 90)


@dataclass(frozen=True)
class ExportContext:
    evaluated_at: datetime
    data_as_of: datetime | None
    max_bytes: int

    @property
    def today(self) -> date:
        return self.evaluated_at.date()

    @property
    def window_end(self) -> datetime:
        return datetime.combine(self.today + timedelta(days=1), time(), tzinfo=UTC)

    def window_start(self, days: int) -> datetime:
        return self.window_end - timedelta(days=days)

    def window(self, days: int) -> dict:
        return {"days": days, "start": self.window_start(days), "end": self.window_end}


def build_context(
    *, now: datetime | None = None, max_bytes: int | None = None
) -> ExportContext:
    moment = (now or timezone.now()).astimezone(UTC)
    return ExportContext(
        evaluated_at=moment.replace(minute=0, second=0, microsecond=0),
        data_as_of=selectors.latest_change(),
        max_bytes=max_bytes or settings.MEMORY_BANK_MAX_BYTES,
    )
