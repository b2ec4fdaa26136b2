"""Which backups to keep: the newest of each of the last `daily` days, `weekly` ISO
weeks and `monthly` calendar months (UTC), counting the current one. A pure function,
so the policy is tested without files or clocks."""

from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, date, datetime, timedelta


def _newest_per_period(
    times: list[datetime], *, period: Callable[[datetime], Hashable], wanted: set
) -> set[datetime]:
    newest: dict[Hashable, datetime] = {}
    for moment in times:
        key = period(moment)
        if key in wanted and (key not in newest or moment > newest[key]):
            newest[key] = moment
    return set(newest.values())


def _last_days(today: date, count: int) -> set[date]:
    return {today - timedelta(days=n) for n in range(count)}


def _last_weeks(today: date, count: int) -> set[tuple[int, int]]:
    return {(today - timedelta(weeks=n)).isocalendar()[:2] for n in range(count)}


def _last_months(today: date, count: int) -> set[tuple[int, int]]:
    months = set()
    year, month = today.year, today.month
    for _ in range(count):
        months.add((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def backups_to_keep(
    times: Iterable[datetime],
    *,
    now: datetime,
    daily: int = 7,
    weekly: int = 4,
    monthly: int = 3,
) -> set[datetime]:
    times = [t.astimezone(UTC) for t in times]
    today = now.astimezone(UTC).date()

    # A backup stamped after `now` means a clock went wrong; never delete it for that.
    keep = {t for t in times if t > now}
    past = [t for t in times if t <= now]

    keep |= _newest_per_period(
        past, period=lambda t: t.date(), wanted=_last_days(today, daily)
    )
    keep |= _newest_per_period(
        past,
        period=lambda t: t.date().isocalendar()[:2],
        wanted=_last_weeks(today, weekly),
    )
    keep |= _newest_per_period(
        past, period=lambda t: (t.year, t.month), wanted=_last_months(today, monthly)
    )
    return keep
