"""The overview: open incidents, most severe first, and never silently cut short."""

import re
from datetime import timedelta

from django.urls import reverse

from incidents.models import Incident

from ..factories import at, make_deployment, make_incident, make_service, make_user

OVERVIEW = reverse("incidents:overview")
Severity = Incident.Severity


def _keys(response) -> list[str]:
    return re.findall(
        r'<td><a href="/incidents/(INC-\d+)/">', response.content.decode()
    )


def _open_incidents(count: int, *, severity=Severity.SEV3) -> list[Incident]:
    service = make_service()
    start = at(2025, 6, 1)
    return [
        make_incident([service], severity=severity, started_at=start + timedelta(n))
        for n in range(count)
    ]


def test_the_overview_lists_the_most_severe_open_incident_first(viewer_client):
    older_sev1 = make_incident(severity=Severity.SEV1, started_at=at(2025, 1, 1))
    newer_sev3 = make_incident(severity=Severity.SEV3, started_at=at(2025, 2, 1))
    newest_sev2 = make_incident(severity=Severity.SEV2, started_at=at(2025, 3, 1))

    response = viewer_client.get(OVERVIEW)

    assert response.status_code == 200
    assert _keys(response) == [older_sev1.key, newest_sev2.key, newer_sev3.key]


def test_an_old_sev1_is_shown_even_behind_twenty_newer_open_incidents(viewer_client):
    sev1 = make_incident(severity=Severity.SEV1, started_at=at(2024, 1, 1))
    _open_incidents(23)

    response = viewer_client.get(OVERVIEW)

    assert _keys(response)[0] == sev1.key
    assert len(_keys(response)) == 20


def test_the_overview_says_how_many_open_incidents_it_leaves_out_and_links_to_them(
    viewer_client,
):
    _open_incidents(24)

    response = viewer_client.get(OVERVIEW)

    more = f'<a href="{reverse("incidents:list")}?status=open&amp;sort=severity">'
    assert f"{more}4 more open incidents</a>" in response.content.decode()


def test_one_open_incident_left_out_is_named_in_the_singular(viewer_client):
    _open_incidents(21)

    response = viewer_client.get(OVERVIEW)

    assert "1 more open incident</a>" in response.content.decode()


def test_the_overview_offers_no_more_link_when_it_shows_every_open_incident(
    viewer_client,
):
    _open_incidents(20)
    make_incident(resolved_at=at(2025, 1, 2))

    response = viewer_client.get(OVERVIEW)

    assert len(_keys(response)) == 20
    assert "more open incident" not in response.content.decode()


def test_restricted_incidents_a_viewer_cannot_see_are_not_counted_as_more(
    viewer_client,
):
    _open_incidents(20)
    make_incident(is_restricted=True)

    response = viewer_client.get(OVERVIEW)

    assert "more open incident" not in response.content.decode()


def test_the_overview_makes_a_fixed_number_of_queries(
    viewer_client, django_assert_num_queries
):
    services = [make_service(f"s{n}") for n in range(3)]
    for n in range(30):
        make_incident(services, commander=make_user(f"c{n}"))
        make_deployment(services[0], finished_at=at(2025, 1, 1) + timedelta(n))
    viewer_client.get(OVERVIEW)  # warm the session

    # session, user, profile, groups, header counts, open incidents, their services,
    # how many are open, and recent deployments.
    with django_assert_num_queries(9):
        response = viewer_client.get(OVERVIEW)

    assert response.status_code == 200
    assert len(_keys(response)) == 20
