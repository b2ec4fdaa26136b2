from datetime import UTC, datetime, timedelta

from ops.backup import backups_to_keep


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Thursday 3 December 2026, an hour after the nightly backup.
NOW = utc(2026, 12, 3, 3, 17)


def nightly(first: datetime, last: datetime) -> list[datetime]:
    days = (last - first).days
    return [first + timedelta(days=n) for n in range(days + 1)]


def test_four_months_of_nightly_backups_keep_seven_days_four_weeks_three_months():
    backups = nightly(utc(2026, 8, 1, 2, 17), utc(2026, 12, 3, 2, 17))

    kept = backups_to_keep(backups, now=NOW)

    # Days: 3, 2, 1 Dec and 30..27 Nov. ISO weeks: this one (3 Dec), then the
    # Sundays 29, 22 and 15 Nov. Months: December (3 Dec), November (30 Nov),
    # October (31 Oct).
    assert sorted(kept) == [
        utc(2026, 10, 31, 2, 17),
        utc(2026, 11, 15, 2, 17),
        utc(2026, 11, 22, 2, 17),
        utc(2026, 11, 27, 2, 17),
        utc(2026, 11, 28, 2, 17),
        utc(2026, 11, 29, 2, 17),
        utc(2026, 11, 30, 2, 17),
        utc(2026, 12, 1, 2, 17),
        utc(2026, 12, 2, 2, 17),
        utc(2026, 12, 3, 2, 17),
    ]


def test_of_two_backups_on_one_day_the_newer_is_kept():
    morning, evening = utc(2026, 12, 2, 2, 17), utc(2026, 12, 2, 20, 0)

    assert backups_to_keep([morning, evening], now=NOW) == {evening}


def test_a_young_installation_keeps_every_daily_backup():
    backups = nightly(utc(2026, 11, 30, 2, 17), utc(2026, 12, 3, 2, 17))

    assert backups_to_keep(backups, now=NOW) == set(backups)


def test_a_backup_older_than_three_months_is_dropped_even_when_it_is_the_only_one():
    ancient = utc(2026, 8, 15, 2, 17)

    assert backups_to_keep([ancient], now=NOW) == set()


def test_the_month_boundary_is_calendar_months_across_a_year_end():
    now = utc(2027, 1, 10, 3, 0)
    backups = [utc(2026, 10, 31, 2), utc(2026, 11, 30, 2), utc(2026, 12, 31, 2)]

    # January has none; December and November are in the last three months.
    assert backups_to_keep(backups, now=now) == {
        utc(2026, 11, 30, 2),
        utc(2026, 12, 31, 2),
    }


def test_a_backup_stamped_in_the_future_is_never_pruned():
    future = NOW + timedelta(days=400)

    assert backups_to_keep([future], now=NOW) == {future}


def test_shorter_retention_settings_keep_fewer():
    backups = nightly(utc(2026, 8, 1, 2, 17), utc(2026, 12, 3, 2, 17))

    kept = backups_to_keep(backups, now=NOW, daily=2, weekly=0, monthly=1)

    assert sorted(kept) == [utc(2026, 12, 2, 2, 17), utc(2026, 12, 3, 2, 17)]
