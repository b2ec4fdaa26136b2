import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from metrics.slo.sla import sla_report
from tests.factories import at, make_incident, make_service

NOW = at(2025, 6, 15, 12, 0)
H = timedelta(hours=1)


@pytest.fixture
def checkout(db):
    # A service whose record began long before the report's twelve months.
    service = make_service("checkout")
    service.__class__.objects.filter(pk=service.pk).update(created_at=at(2020, 1, 1))
    return service


def figure(report, slug, label):
    row = next(r for r in report.rows if r.service.slug == slug)
    return next(f for f in row.months if f.month.label == label)


def test_twelve_months_up_to_the_current_one(checkout):
    report = sla_report(now=NOW)

    assert [m.label for m in report.months][:2] == ["2024-07", "2024-08"]
    assert report.months[-1].label == "2025-06"
    assert report.months[-1].end == NOW
    assert report.target == Decimal("99.5")


def test_monthly_availability_is_computed_by_hand(checkout):
    # May: 300 minutes of full outage of 31 x 1,440 = 44,640 minutes.
    start = at(2025, 5, 10, 10, 0)
    make_incident([checkout], started_at=start, resolved_at=start + 5 * H)
    # June so far (14.5 days = 20,880 minutes): 60 minutes at 50% = 30 minutes.
    start = at(2025, 6, 3, 8, 0)
    make_incident(
        [checkout], started_at=start, resolved_at=start + H, impact_percent=50
    )

    report = sla_report(now=NOW)

    may, june = (
        figure(report, "checkout", "2025-05"),
        figure(report, "checkout", "2025-06"),
    )
    assert may.impact_minutes == pytest.approx(300)
    assert may.availability == pytest.approx(100 * (1 - 300 / 44640))
    assert not may.met
    assert june.availability == pytest.approx(100 * (1 - 30 / 20880))
    assert june.met
    assert figure(report, "checkout", "2025-04").availability == 100


def test_months_follow_the_team_zone_across_dst(checkout, settings):
    # In Berlin, March 2025 lost an hour: 31 x 1,440 - 60 = 44,580 minutes.
    settings.TIME_ZONE = "Europe/Berlin"
    start = at(2025, 3, 30, 0, 30)
    make_incident([checkout], started_at=start, resolved_at=start + H)

    march = figure(sla_report(now=NOW), "checkout", "2025-03")

    assert march.month.minutes == 44580
    assert march.availability == pytest.approx(100 * (1 - 60 / 44580))


def test_months_are_the_teams_whatever_the_viewers_zone(checkout, settings):
    # 23:00-24:00 UTC on 31 March is still March for a UTC team, though it is
    # already April for a viewer in Tokyo.
    settings.TIME_ZONE = "UTC"
    start = at(2025, 3, 31, 23, 0)
    make_incident([checkout], started_at=start, resolved_at=start + H)

    with timezone.override(ZoneInfo("Asia/Tokyo")):
        report = sla_report(now=NOW)

    assert figure(report, "checkout", "2025-03").impact_minutes == pytest.approx(60)
    assert figure(report, "checkout", "2025-04").impact_minutes == 0


def test_the_sla_target_comes_from_settings(checkout, settings):
    settings.SLA_TARGET_PERCENT = 99.9
    start = at(2025, 4, 10, 10, 0)
    # 60 of 43,200 April minutes: 99.861%, under 99.9% but over 99.5%.
    make_incident([checkout], started_at=start, resolved_at=start + H)

    april = figure(sla_report(now=NOW), "checkout", "2025-04")

    assert not april.met


def test_incidents_that_missed_response_or_resolution_are_listed(checkout):
    late_ack = make_incident(
        [checkout],
        started_at=at(2025, 6, 1),
        acknowledged_at=at(2025, 6, 1) + 25 * H,
        resolved_at=at(2025, 6, 1) + 30 * H,
    )
    slow_fix = make_incident(
        [checkout],
        started_at=at(2025, 6, 2),
        detected_at=at(2025, 6, 2) + H,
        acknowledged_at=at(2025, 6, 2) + 2 * H,
        resolved_at=at(2025, 6, 2) + 50 * H,
    )
    still_open = make_incident([checkout], started_at=at(2025, 6, 12))
    make_incident(
        [checkout],
        started_at=at(2025, 6, 4),
        acknowledged_at=at(2025, 6, 4) + H,
        resolved_at=at(2025, 6, 4) + 5 * H,
    )
    # Acknowledged 23 hours after detection (33 after impact start): in time.
    make_incident(
        [checkout],
        started_at=at(2025, 6, 5),
        detected_at=at(2025, 6, 5, 10),
        acknowledged_at=at(2025, 6, 6, 9),
        resolved_at=at(2025, 6, 6, 12),
    )

    missed = {m.incident.pk: m for m in sla_report(now=NOW).missed}

    assert set(missed) == {late_ack.pk, slow_fix.pk, still_open.pk}
    assert (
        missed[late_ack.pk].missed_response,
        missed[late_ack.pk].missed_resolution,
    ) == (True, False)
    assert missed[late_ack.pk].response == 25 * H
    assert (
        missed[slow_fix.pk].missed_response,
        missed[slow_fix.pk].missed_resolution,
    ) == (False, True)
    assert (
        missed[still_open.pk].missed_response
        and missed[still_open.pk].missed_resolution
    )
    assert missed[still_open.pk].response is None


def test_the_page_and_its_csv_exports(viewer_client, checkout):
    start = (timezone.now() - timedelta(days=40)).replace(microsecond=0)
    incident = make_incident([checkout], started_at=start, resolved_at=start + 50 * H)

    page = viewer_client.get("/metrics/sla/")
    availability = viewer_client.get("/metrics/sla/?export=availability")
    missed = viewer_client.get("/metrics/sla/?export=missed")

    assert page.status_code == 200
    assert "SLA report" in page.content.decode()
    assert availability["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(availability.content.decode())))
    assert len(rows) == 12
    assert rows[0]["service"] == "checkout"
    missed_rows = list(csv.DictReader(io.StringIO(missed.content.decode())))
    assert missed_rows[0]["incident"] == incident.key
    assert missed_rows[0]["started_at"] == start.isoformat().replace("+00:00", "Z")
    assert missed_rows[0]["missed_resolution"] == "yes"


def test_the_sla_page_needs_a_role(client, outsider):
    client.force_login(outsider)

    assert client.get("/metrics/sla/").status_code == 403


def test_an_incident_resolved_without_acknowledgement_was_responded_to(checkout):
    # Resolved 40 minutes in, never explicitly acknowledged: no miss.
    make_incident(
        [checkout], started_at=at(2025, 6, 1), resolved_at=at(2025, 6, 1, 0, 40)
    )

    assert sla_report(now=NOW).missed == []


def test_restricted_incidents_are_listed_only_to_those_who_may_see_them(
    checkout, viewer, admin_user
):
    make_incident([checkout], started_at=at(2025, 6, 1), is_restricted=True)

    assert sla_report(now=NOW, user=viewer).missed == []
    assert len(sla_report(now=NOW, user=admin_user).missed) == 1


def test_months_before_a_service_existed_have_no_data(db):
    # Created on 16 May 2025 at noon (a fake clock: the record's own start).
    created = at(2025, 5, 16, 12, 0)
    service = make_service("search")
    service.__class__.objects.filter(pk=service.pk).update(created_at=created)
    start = at(2025, 5, 20, 10, 0)
    make_incident([service], started_at=start, resolved_at=start + 2 * H)

    report = sla_report(now=NOW)

    april = figure(report, "search", "2025-04")
    assert april.availability is None and april.met is None
    assert not april.has_data
    # May is measured from creation: 15.5 days = 22,320 minutes, 120 of them down.
    may = figure(report, "search", "2025-05")
    assert may.availability == pytest.approx(100 * (1 - 120 / 22320))
    assert figure(report, "search", "2025-06").availability == 100


def test_backfilled_history_older_than_the_service_counts(db):
    service = make_service("billing")
    service.__class__.objects.filter(pk=service.pk).update(created_at=at(2025, 6, 1))
    # Imported afterwards, an incident of January is part of its record.
    start = at(2025, 1, 1, 0, 0)
    make_incident([service], started_at=start, resolved_at=start + H)

    report = sla_report(now=NOW)

    assert figure(report, "billing", "2024-12").availability is None
    assert figure(report, "billing", "2025-01").availability == pytest.approx(
        100 * (1 - 60 / 44640)
    )
    assert figure(report, "billing", "2025-03").availability == 100


def test_the_csv_leaves_months_without_data_empty(client, admin_user):
    make_service("fresh")
    client.force_login(admin_user)

    response = client.get("/metrics/sla/?export=availability")

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    fresh = [row for row in rows if row[0] == "fresh"]
    assert len(fresh) == 12
    # Created today: every earlier month is empty, the current one measured.
    assert all(row[2:] == ["", "", ""] for row in fresh[:-1])
    assert fresh[-1][2] == "100.0000" and fresh[-1][4] == "yes"


def test_the_page_says_no_data_for_months_before_the_service(client, admin_user):
    make_service("fresh")
    client.force_login(admin_user)

    response = client.get("/metrics/sla/")

    assert response.status_code == 200
    assert response.content.decode().count("no data") == 11
