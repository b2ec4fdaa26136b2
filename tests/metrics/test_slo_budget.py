"""Error budgets computed by hand. A 99.9% SLO over 30 days has
30 x 1,440 x 0.001 = 43.2 minutes of budget."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from metrics.models import SLO, SLIEvent
from metrics.slo import slo_status
from tests.factories import at, make_incident, make_service

NOW = at(2025, 6, 30, 12, 0)
BUDGET = 43.2


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def checkout(db):
    return make_service("checkout")


@pytest.fixture
def slo(checkout):
    return SLO.objects.create(
        service=checkout, name="availability", target_percent=Decimal("99.9")
    )


def incident(service, start, end=None, percent=100):
    return make_incident(
        [service],
        started_at=start,
        resolved_at=end,
        impact_percent=Decimal(str(percent)),
    )


def test_a_service_without_incidents_has_its_whole_budget(slo):
    budget = slo_status(slo, now=NOW)

    assert budget.budget_minutes == pytest.approx(BUDGET)
    assert budget.consumed_minutes == 0
    assert budget.remaining_minutes == pytest.approx(BUDGET)
    assert budget.consumed_share == 0
    assert budget.burn_rate == 0
    assert not budget.frozen


def test_overlapping_incidents_are_merged_not_added(slo, checkout):
    # 10:00-10:30 and 10:20-10:50 cover 50 minutes, not 60.
    incident(checkout, at(2025, 6, 29, 10, 0), at(2025, 6, 29, 10, 30))
    incident(checkout, at(2025, 6, 29, 10, 20), at(2025, 6, 29, 10, 50))

    budget = slo_status(slo, now=NOW)

    assert budget.consumed_minutes == pytest.approx(50)
    assert budget.remaining_minutes == pytest.approx(BUDGET - 50)
    assert budget.consumed_share == pytest.approx(50 / BUDGET)
    assert budget.exhausted


def test_a_nested_incident_counts_at_the_larger_impact_while_it_lasts(slo, checkout):
    # 20% for an hour with a full outage from 10:15 to 10:45 inside it:
    # 30 min x 20% + 30 min x 100% = 6 + 30 = 36 minutes.
    incident(checkout, at(2025, 6, 29, 10, 0), at(2025, 6, 29, 11, 0), percent=20)
    incident(checkout, at(2025, 6, 29, 10, 15), at(2025, 6, 29, 10, 45))

    budget = slo_status(slo, now=NOW)

    assert budget.consumed_minutes == pytest.approx(36)


def test_a_weaker_incident_nested_in_a_stronger_one_costs_nothing_extra(slo, checkout):
    incident(checkout, at(2025, 6, 29, 10, 0), at(2025, 6, 29, 11, 0), percent=50)
    incident(checkout, at(2025, 6, 29, 10, 10), at(2025, 6, 29, 10, 20), percent=10)

    budget = slo_status(slo, now=NOW)

    assert budget.consumed_minutes == pytest.approx(30)


def test_an_incident_that_started_before_the_window_counts_only_inside_it(
    slo, checkout
):
    window_start = NOW - timedelta(days=30)
    incident(checkout, window_start - minutes(60), window_start + minutes(30))

    budget = slo_status(slo, now=NOW)

    assert budget.window_start == window_start
    assert budget.consumed_minutes == pytest.approx(30)


def test_an_incident_resolved_before_the_window_counts_nothing(slo, checkout):
    window_start = NOW - timedelta(days=30)
    incident(checkout, window_start - minutes(90), window_start - minutes(1))

    assert slo_status(slo, now=NOW).consumed_minutes == 0


def test_an_open_incident_counts_up_to_now_and_drives_the_short_burn_rates(
    slo, checkout
):
    incident(checkout, NOW - minutes(20))

    budget = slo_status(slo, now=NOW)

    # 20 of 43.2 minutes; over the last hour the pace is
    # (20 / 43.2) / (60 / 43,200) = 333.33..., over six hours 55.55...
    assert budget.consumed_minutes == pytest.approx(20)
    assert budget.burn_rate == pytest.approx(20 / 43.2)
    assert budget.burn_rate_1h == pytest.approx(20 / 43.2 * 720)
    assert budget.burn_rate_6h == pytest.approx(20 / 43.2 * 120)


def test_partial_impact_weighs_the_minutes(slo, checkout):
    incident(checkout, at(2025, 6, 29, 10, 0), at(2025, 6, 29, 11, 0), percent=50)

    assert slo_status(slo, now=NOW).consumed_minutes == pytest.approx(30)


def test_incidents_of_other_services_do_not_count(slo):
    incident(make_service("search"), at(2025, 6, 29, 10, 0), at(2025, 6, 29, 11, 0))

    assert slo_status(slo, now=NOW).consumed_minutes == 0


def test_a_window_containing_a_dst_change_is_measured_in_real_minutes(slo, checkout):
    # Berlin moved its clocks from 02:00 CET to 03:00 CEST on 2025-03-30: from
    # 01:30 to 03:30 on the wall clock is one hour of real time.
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2025, 3, 30, 1, 30, tzinfo=berlin)
    end = datetime(2025, 3, 30, 3, 30, tzinfo=berlin)
    incident(checkout, start.astimezone(UTC), end.astimezone(UTC))
    # "Now" in Berlin's zone: 30 days back crosses the change, and the window is
    # still 43,200 real minutes.
    now = datetime(2025, 4, 15, 12, 0, tzinfo=berlin)

    budget = slo_status(slo, now=now)

    assert budget.consumed_minutes == pytest.approx(60)
    assert budget.budget_minutes == pytest.approx(43.2)
    assert budget.window_end - budget.window_start == timedelta(days=30)
    assert budget.window_start == datetime(2025, 3, 16, 10, 0, tzinfo=UTC)


def test_a_target_of_100_percent_has_no_budget_and_any_impact_freezes(checkout):
    slo = SLO.objects.create(service=checkout, name="perfect", target_percent=100)
    incident(checkout, at(2025, 6, 29, 10, 0), at(2025, 6, 29, 10, 1))

    budget = slo_status(slo, now=NOW)

    assert budget.budget_minutes == 0
    assert budget.consumed_minutes == pytest.approx(1)
    assert budget.consumed_share is None
    assert budget.burn_rate is None
    assert budget.burn_rate_1h is None
    assert budget.frozen
    assert budget.exhausted
    assert budget.remaining_minutes == pytest.approx(-1)


def test_a_target_of_100_percent_without_impact_is_not_frozen(checkout):
    slo = SLO.objects.create(service=checkout, name="perfect", target_percent=100)

    budget = slo_status(slo, now=NOW)

    assert budget.consumed_share is None
    assert not budget.frozen
    assert not budget.exhausted


@pytest.mark.parametrize(
    ("outage_minutes", "frozen"),
    [(21, False), (21.6, False), (22, True)],
)
def test_the_service_freezes_once_consumption_passes_the_threshold(
    slo, checkout, outage_minutes, frozen
):
    # Half of 43.2 minutes is 21.6: reaching it is not passing it.
    start = at(2025, 6, 29, 10, 0)
    incident(checkout, start, start + minutes(outage_minutes))

    budget = slo_status(slo, now=NOW)

    assert budget.frozen is frozen
    assert not budget.exhausted


def test_measured_events_take_precedence_over_incident_minutes(slo, checkout):
    # The team measured 10:00-11:00 yesterday: 990 good of 1,000, so 1% of 60
    # minutes = 0.6 minutes, replacing the 30-minute incident inside that hour.
    # The incident from 14:00 to 14:10, outside the measurement, still counts.
    incident(checkout, at(2025, 6, 29, 10, 0), at(2025, 6, 29, 10, 30))
    incident(checkout, at(2025, 6, 29, 14, 0), at(2025, 6, 29, 14, 10))
    SLIEvent.objects.create(
        slo=slo,
        start=at(2025, 6, 29, 10, 0),
        end=at(2025, 6, 29, 11, 0),
        good=990,
        total=1000,
    )

    budget = slo_status(slo, now=NOW)

    assert budget.consumed_minutes == pytest.approx(0.6 + 10)
    assert budget.measured_minutes == pytest.approx(60)


def test_measured_events_straddling_the_window_start_count_pro_rata(slo):
    # Half of a two-hour report lies inside the window: 50% bad x 60 minutes.
    window_start = NOW - timedelta(days=30)
    SLIEvent.objects.create(
        slo=slo,
        start=window_start - minutes(60),
        end=window_start + minutes(60),
        good=500,
        total=1000,
    )

    assert slo_status(slo, now=NOW).consumed_minutes == pytest.approx(30)
