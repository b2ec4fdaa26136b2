"""Hand-computed DORA figures for the edge cases of issue 6 (part 5)."""

from datetime import timedelta

import pytest

from incidents.errors import DomainError
from incidents.models import Deployment
from metrics.dora import dora_report
from tests.factories import at, make_deployment, make_incident, make_service, make_team

START = at(2025, 3, 3)  # a Monday
END = at(2025, 3, 17)  # two whole ISO weeks later
HOUR = 3600.0
pytestmark = pytest.mark.django_db


def report(**kwargs):
    kwargs.setdefault("start", START)
    kwargs.setdefault("end", END)
    return dora_report(**kwargs)


def test_no_deployments_gives_null_figures_with_zero_counts():
    figures = report()

    frequency = figures["deployment_frequency"]
    assert frequency["count"] == 0
    assert frequency["per_day"] is None
    assert frequency["per_week"] is None
    assert frequency["deploy_days_per_week_median"] is None
    assert frequency["band"] is None
    assert figures["lead_time"]["median_seconds"] is None
    assert figures["lead_time"]["count"] == 0
    assert figures["change_failure_rate"] == {
        "value": None,
        "failed": 0,
        "total": 0,
        "band": None,
    }
    assert figures["failed_deployment_recovery_time"]["median_seconds"] is None
    assert figures["failed_deployment_recovery_time"]["open"] == 0
    assert figures["time_to_restore"]["median_seconds"] is None
    assert figures["time_to_restore"]["count"] == 0
    assert figures["rework_rate"] == {"value": None, "count": 0, "total": 0}
    assert figures["benchmark_year"] == 2023


def test_deployment_frequency_counts_completed_production_deployments():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 3, 10))
    make_deployment(service, finished_at=at(2025, 3, 3, 12))
    make_deployment(
        service, finished_at=at(2025, 3, 4, 10), status=Deployment.Status.ROLLED_BACK
    )
    make_deployment(
        service, finished_at=at(2025, 3, 5, 10), status=Deployment.Status.FAILURE
    )
    make_deployment(service, finished_at=at(2025, 3, 6, 10), environment="staging")

    frequency = report()["deployment_frequency"]

    assert frequency["count"] == 3
    assert frequency["per_day"] == pytest.approx(3 / 14)
    assert frequency["per_week"] == pytest.approx(1.5)
    # Week 1 has two deploy days (3rd and 4th), week 2 none: the median is 1.
    assert frequency["deploy_days_per_week_median"] == 1
    assert frequency["band"] == "high"


def test_an_incident_without_a_deployment_counts_only_for_time_to_restore():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 3, 10))
    make_incident(
        [service],
        started_at=at(2025, 3, 5, 9),
        detected_at=at(2025, 3, 5, 9, 10),
        acknowledged_at=at(2025, 3, 5, 9, 15),
        resolved_at=at(2025, 3, 5, 11),
    )

    figures = report()

    assert figures["change_failure_rate"]["failed"] == 0
    assert figures["change_failure_rate"]["value"] == 0.0
    assert figures["change_failure_rate"]["band"] == "elite"
    restore = figures["time_to_restore"]
    assert restore["median_seconds"] == 2 * HOUR
    assert restore["mean_seconds"] == 2 * HOUR
    assert restore["count"] == 1
    assert restore["time_to_detect"]["median_seconds"] == 600
    assert restore["time_to_acknowledge"]["median_seconds"] == 300


def test_several_incidents_on_one_deployment_count_it_once_and_recover_last():
    service = make_service()
    cause = make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(service, finished_at=at(2025, 3, 4, 12))
    make_incident(
        [service],
        started_at=at(2025, 3, 4, 10, 30),
        resolved_at=at(2025, 3, 4, 11),
        caused_by=cause,
    )
    make_incident(
        [service],
        started_at=at(2025, 3, 4, 10, 40),
        resolved_at=at(2025, 3, 4, 11, 30),
        caused_by=cause,
    )

    figures = report()

    assert figures["change_failure_rate"]["failed"] == 1
    assert figures["change_failure_rate"]["total"] == 2
    assert figures["change_failure_rate"]["value"] == 0.5
    # Both incidents resolved by 11:30, before the next deployment at 12:00.
    recovery = figures["failed_deployment_recovery_time"]
    assert recovery["median_seconds"] == 1.5 * HOUR
    assert recovery["count"] == 1
    assert recovery["open"] == 0
    assert recovery["band"] == "high"


def test_incidents_resolved_before_their_deployment_finished_recover_it_at_once():
    service = make_service()
    cause = make_deployment(
        service,
        status=Deployment.Status.FAILURE,
        started_at=at(2025, 3, 4, 10),
        finished_at=at(2025, 3, 4, 10, 40),
    )
    make_incident(
        [service],
        started_at=at(2025, 3, 4, 10, 5),
        resolved_at=at(2025, 3, 4, 10, 20),
        caused_by=cause,
    )

    recovery = report()["failed_deployment_recovery_time"]

    assert recovery["median_seconds"] == 0
    assert recovery["mean_seconds"] == 0
    assert recovery["count"] == 1


def test_an_unresolved_incident_leaves_recovery_to_the_next_deployment():
    service = make_service()
    cause = make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(service, finished_at=at(2025, 3, 4, 16))
    make_incident([service], started_at=at(2025, 3, 4, 10, 30), caused_by=cause)
    make_incident(
        [service],
        started_at=at(2025, 3, 4, 10, 40),
        resolved_at=at(2025, 3, 4, 11),
        caused_by=cause,
    )

    recovery = report()["failed_deployment_recovery_time"]

    assert recovery["median_seconds"] == 6 * HOUR
    assert recovery["count"] == 1


def test_a_rollback_marks_the_rolled_back_deployment_failed_and_counts_as_rework():
    service = make_service()
    bad = make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(service, finished_at=at(2025, 3, 4, 10, 20), rollback_of=bad)

    figures = report()

    assert figures["change_failure_rate"]["failed"] == 1
    assert figures["change_failure_rate"]["total"] == 2
    assert figures["rework_rate"] == {"value": 0.5, "count": 1, "total": 2}
    recovery = figures["failed_deployment_recovery_time"]
    assert recovery["median_seconds"] == 20 * 60
    assert recovery["band"] == "elite"


def test_a_failed_deployment_recovers_with_the_next_completed_one():
    service = make_service()
    make_deployment(
        service, finished_at=at(2025, 3, 4, 10), status=Deployment.Status.FAILURE
    )
    make_deployment(
        service, finished_at=at(2025, 3, 4, 11), status=Deployment.Status.FAILURE
    )
    make_deployment(service, finished_at=at(2025, 3, 4, 13))
    make_deployment(service, finished_at=at(2025, 3, 4, 9), environment="staging")

    figures = report()

    assert figures["deployment_frequency"]["count"] == 1
    assert figures["change_failure_rate"]["failed"] == 2
    assert figures["change_failure_rate"]["total"] == 3
    assert figures["change_failure_rate"]["band"] == "low"
    recovery = figures["failed_deployment_recovery_time"]
    # 3 h and 2 h to the success at 13:00.
    assert recovery["median_seconds"] == 2.5 * HOUR
    assert recovery["mean_seconds"] == 2.5 * HOUR
    assert recovery["count"] == 2


def test_a_hotfix_counts_as_rework_but_not_as_a_failure():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_deployment(service, finished_at=at(2025, 3, 5, 10))
    make_deployment(service, finished_at=at(2025, 3, 6, 10))
    make_deployment(service, finished_at=at(2025, 3, 7, 10), is_hotfix=True)

    figures = report()

    assert figures["rework_rate"] == {"value": 0.25, "count": 1, "total": 4}
    assert figures["change_failure_rate"]["failed"] == 0


def test_the_same_sha_deployed_twice_measures_lead_time_to_the_first():
    service = make_service()
    committed = at(2025, 3, 4, 8)
    make_deployment(
        service, finished_at=at(2025, 3, 4, 10), commits=[("a1", committed)]
    )
    make_deployment(
        service, finished_at=at(2025, 3, 5, 10), commits=[("a1", committed)]
    )

    lead = report()["lead_time"]

    assert lead["count"] == 1
    assert lead["median_seconds"] == 2 * HOUR
    assert lead["p90_seconds"] == 2 * HOUR
    assert lead["band"] == "elite"


def test_a_sha_first_shipped_before_the_window_is_not_counted_again():
    service = make_service()
    committed = at(2025, 2, 20)
    make_deployment(service, finished_at=at(2025, 2, 21), commits=[("a1", committed)])
    make_deployment(service, finished_at=at(2025, 3, 5), commits=[("a1", committed)])

    lead = report()["lead_time"]

    assert lead["count"] == 0
    assert lead["median_seconds"] is None


def test_a_commit_shipped_to_staging_first_measures_to_production():
    service = make_service()
    committed = at(2025, 3, 4, 8)
    make_deployment(
        service,
        finished_at=at(2025, 3, 4, 9),
        environment="staging",
        commits=[("a1", committed)],
    )
    make_deployment(
        service, finished_at=at(2025, 3, 4, 14), commits=[("a1", committed)]
    )

    lead = report()["lead_time"]

    assert lead["count"] == 1
    assert lead["median_seconds"] == 6 * HOUR


def test_a_failed_production_deployment_does_not_ship_its_commits():
    service = make_service()
    committed = at(2025, 3, 4, 8)
    make_deployment(
        service,
        finished_at=at(2025, 3, 4, 9),
        status=Deployment.Status.FAILURE,
        commits=[("a1", committed)],
    )
    make_deployment(
        service, finished_at=at(2025, 3, 4, 18), commits=[("a1", committed)]
    )

    assert report()["lead_time"]["median_seconds"] == 10 * HOUR


def test_lead_time_percentiles_interpolate_and_leave_out_negative_values():
    service = make_service()
    finished = at(2025, 3, 10, 12)
    commits = [
        ("a1", finished - timedelta(hours=1)),
        ("a2", finished - timedelta(hours=2)),
        ("a3", finished - timedelta(hours=4)),
        ("a4", finished - timedelta(hours=10)),
        ("zero", finished),
        ("skewed", finished + timedelta(minutes=5)),
    ]
    make_deployment(service, finished_at=finished, commits=commits)

    lead = report()["lead_time"]

    # Kept: 0, 1, 2, 4, 10 hours. Median 2 h; p90 at rank 3.6: 4 + 0.6 * 6 = 7.6 h.
    assert lead["count"] == 5
    assert lead["excluded_negative"] == 1
    assert lead["median_seconds"] == pytest.approx(2 * HOUR)
    assert lead["p90_seconds"] == pytest.approx(7.6 * HOUR)


def test_an_unrecovered_failure_is_counted_as_open():
    service = make_service()
    make_deployment(
        service, finished_at=at(2025, 3, 4, 10), status=Deployment.Status.FAILURE
    )

    recovery = report()["failed_deployment_recovery_time"]

    assert recovery["count"] == 0
    assert recovery["open"] == 1
    assert recovery["median_seconds"] is None
    assert recovery["band"] is None


def test_the_window_includes_its_start_and_excludes_its_end():
    service = make_service()
    make_deployment(service, finished_at=START)
    make_deployment(service, finished_at=END)
    make_incident([service], started_at=START - timedelta(hours=1), resolved_at=END)

    figures = report()

    assert figures["deployment_frequency"]["count"] == 1
    assert figures["change_failure_rate"]["total"] == 1
    assert figures["time_to_restore"]["count"] == 0


def test_an_inferred_cause_is_the_latest_production_deployment_within_the_limit():
    checkout = make_service("checkout")
    search = make_service("search")
    make_deployment(checkout, finished_at=at(2025, 3, 4, 8))
    latest = make_deployment(search, finished_at=at(2025, 3, 4, 9))
    make_deployment(checkout, finished_at=at(2025, 3, 4, 11))
    make_incident(
        [checkout, search],
        started_at=at(2025, 3, 4, 10),
        resolved_at=at(2025, 3, 4, 10, 30),
    )

    everything = report()
    only_checkout = report(service="checkout")

    assert everything["change_failure_rate"]["failed"] == 1
    assert everything["change_failure_rate"]["total"] == 3
    # The cause is search's deployment, so checkout's figures stay clean.
    assert only_checkout["change_failure_rate"]["failed"] == 0
    assert (
        report(service="search")["failed_deployment_recovery_time"]["median_seconds"]
        == 1.5 * HOUR
    )
    assert latest.finished_at == at(2025, 3, 4, 9)


def test_no_cause_is_inferred_past_the_limit(settings):
    settings.INFER_CAUSE_WITHIN = timedelta(hours=2)
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 4, 7))
    make_incident([service], started_at=at(2025, 3, 4, 10))

    assert report()["change_failure_rate"]["failed"] == 0


def test_an_incident_before_the_window_may_name_its_cause():
    service = make_service()
    cause = make_deployment(service, finished_at=START + timedelta(hours=1))
    make_incident([service], started_at=at(2025, 3, 20), caused_by=cause)

    assert report()["change_failure_rate"]["failed"] == 1


def test_deploy_days_are_counted_in_the_team_zone_across_a_dst_change(settings):
    # Europe/Berlin moves to summer time on Sunday 30 March 2025; the ISO week of
    # 24 to 30 March runs from 23:00 UTC on the 23rd to 22:00 UTC on the 30th.
    settings.TIME_ZONE = "Europe/Berlin"
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 23, 23, 30))  # Monday 00:30
    make_deployment(service, finished_at=at(2025, 3, 30, 21, 30))  # Sunday 23:30
    make_deployment(service, finished_at=at(2025, 3, 30, 22, 30))  # next Monday

    frequency = report(start=at(2025, 3, 23, 23), end=at(2025, 3, 30, 22))[
        "deployment_frequency"
    ]

    assert frequency["count"] == 2
    assert frequency["deploy_days_per_week_median"] == 2
    assert frequency["whole_weeks"] == 1
    assert frequency["band"] == "high"


def test_a_window_without_a_whole_iso_week_has_no_frequency_band():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 5, 10))

    frequency = report(start=at(2025, 3, 4), end=at(2025, 3, 11))[
        "deployment_frequency"
    ]

    assert frequency["count"] == 1
    assert frequency["deploy_days_per_week_median"] is None
    assert frequency["band"] is None


def test_deploy_days_bands_cover_elite_medium_and_low():
    service = make_service()
    for day in range(3, 8):
        make_deployment(service, finished_at=at(2025, 3, day, 10))
        make_deployment(service, finished_at=at(2025, 3, day + 7, 10))

    assert report()["deployment_frequency"]["band"] == "elite"
    # One deploy day (the 14th) in 90 days: median 0, and 1 < 90 / 30: low.
    sparse = report(start=at(2025, 3, 13, 11), end=at(2025, 6, 11, 11))
    assert sparse["deployment_frequency"]["band"] == "low"
    # Six deploy days in 90 days clear one per 30 days, median still 0: medium.
    medium = report(start=at(2025, 3, 6, 11), end=at(2025, 6, 4, 11))
    assert medium["deployment_frequency"]["deploy_days_per_week_median"] == 0
    assert medium["deployment_frequency"]["band"] == "medium"


def test_service_and_team_filters_narrow_the_figures():
    payments = make_team("payments")
    checkout = make_service("checkout", team=payments)
    make_service("ledger", team=payments)
    search = make_service("search")
    make_deployment(checkout, finished_at=at(2025, 3, 4, 10))
    make_deployment(search, finished_at=at(2025, 3, 4, 11))
    make_deployment(search, finished_at=at(2025, 3, 4, 12))

    assert report(team="payments")["deployment_frequency"]["count"] == 1
    assert report(service="search")["deployment_frequency"]["count"] == 2
    assert (
        report(service="search", team="payments")["deployment_frequency"]["count"] == 0
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service": "nope"}, "service"),
        ({"team": "nope"}, "team"),
        ({"benchmark_year": 2019}, "benchmark"),
        ({"end": START}, "end"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(params, field):
    with pytest.raises(DomainError) as caught:
        report(**params)

    assert caught.value.field == field


def test_the_2024_clusters_match_the_nearest_profile():
    service = make_service()
    committed = at(2025, 3, 3, 9)
    for day in range(3, 17):
        make_deployment(
            service, finished_at=at(2025, 3, day, 10), commits=[(f"c{day}", committed)]
        )

    figures = report(benchmark_year=2024)

    assert figures["benchmark_year"] == 2024
    # One deployment a day, lead times of 1 h to 13 days, no failures.
    assert figures["deployment_frequency"]["band"] == "elite"
    assert figures["change_failure_rate"]["band"] == "elite"
    assert figures["lead_time"]["band"] == "high"
    assert figures["profile"] == "elite"


def test_a_deployment_finishing_as_the_incident_starts_is_its_inferred_cause():
    service = make_service()
    make_deployment(service, finished_at=at(2025, 3, 4, 8))
    make_deployment(service, finished_at=at(2025, 3, 4, 10))
    make_incident([service], started_at=at(2025, 3, 4, 10))

    figures = report(start=at(2025, 3, 4, 9))

    assert figures["change_failure_rate"]["failed"] == 1
    assert figures["change_failure_rate"]["total"] == 1


def test_2024_recovery_ties_between_clusters_follow_the_overall_profile():
    service = make_service()
    for day in range(3, 17):
        make_deployment(
            service,
            finished_at=at(2025, 3, day, 10),
            commits=[(f"c{day}", at(2025, 3, day, 7))],
        )
    failed = make_deployment(
        service, finished_at=at(2025, 3, 16, 11), status=Deployment.Status.FAILURE
    )
    make_deployment(service, finished_at=failed.finished_at + timedelta(hours=3))

    figures = report(benchmark_year=2024)

    # Three hours is "under a day" for both high and medium; the overall profile
    # (elite) is neither, so the better of the two wins.
    recovery = figures["failed_deployment_recovery_time"]
    assert recovery["median_seconds"] == 3 * HOUR
    assert figures["profile"] == "elite"
    assert recovery["band"] == "high"
