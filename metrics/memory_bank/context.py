"""What every memory-bank renderer shares: the day it speaks for and the size bound.

Windows end at the UTC midnight after ``today``, so they are whole days and the same
for every export on one day: with unchanged data, a re-export is byte-identical.
``data_as_of`` (the front matter's generated-at) is the latest change time found in
the record, never the wall clock."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from . import selectors

WINDOWS_DAYS = (30, 90)


@dataclass(frozen=True)
class ExportContext:
    today: date
    data_as_of: datetime | None
    max_bytes: int

    @property
    def window_end(self) -> datetime:
        return datetime.combine(self.today + timedelta(days=1), time(), tzinfo=UTC)

    def window_start(self, days: int) -> datetime:
        return self.window_end - timedelta(days=days)

    def window(self, days: int) -> dict:
        return {"days": days, "start": self.window_start(days), "end": self.window_end}


def build_context(*, today: date | None = None, max_bytes: int | None = None):
    return ExportContext(
        today=today or timezone.now().astimezone(UTC).date(),
        data_as_of=selectors.latest_change(),
        max_bytes=max_bytes or settings.MEMORY_BANK_MAX_BYTES,
    )
