"""The weekly trend: one row per ISO week in the team's zone, partial at the edges."""

import pytest

from incidents.models import Deployment
from metrics.dora import weekly_trend
from tests.factories import at, make_deployment, make_service

END = at(2025, 3, 17)  # a Monday
HOUR = 3600.0
pytestmark = pytest.mark.django_db


def test_the_weekly_trend_has_one_row_per_iso_week_touching_the_window():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(
        service, finished_at=at(2025, 3, 11, 10), status=Deployment.Status.FAILURE
    )
    make_deployment(service, finished_at=at(2025, 3, 12, 10))

    trend = weekly_trend(start=at(2025, 3, 5), end=END)

    assert [week["week"] for week in trend] == ["2025-03-03", "2025-03-10"]
    assert trend[0]["partial"] is True
    assert trend[0]["start"] == "2025-03-05T00:00:00Z"
    assert trend[0]["deployments"] == 0
    assert trend[0]["change_failure_rate"] is None
    assert trend[1]["partial"] is False
    assert trend[1]["deployments"] == 1
    assert trend[1]["failed"] == 1
    assert trend[1]["finished"] == 2
    assert trend[1]["change_failure_rate"] == 0.5
    assert trend[1]["recovery_median_seconds"] == 24 * HOUR


def test_a_week_cut_by_an_hour_is_partial():
    trend = weekly_trend(start=at(2025, 3, 3, 1), end=END)

    assert [week["partial"] for week in trend] == [True, False]


def test_a_whole_week_across_a_dst_change_is_not_partial(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # The week of 24 March 2025 in Berlin is 167 hours long.
    start, end = at(2025, 3, 23, 23), at(2025, 3, 30, 22)

    trend = weekly_trend(start=start, end=end)

    assert [(week["week"], week["partial"]) for week in trend] == [
        ("2025-03-24", False)
    ]
