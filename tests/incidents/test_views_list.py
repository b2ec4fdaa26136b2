import pytest
from django.urls import reverse

from accounts.models import Profile, Role
from incidents.models import Incident

from ..factories import at, make_incident, make_note, make_service, make_user

LIST = reverse("incidents:list")


def _keys(response) -> list[str]:
    return [incident.key for incident in response.context["page"].object_list]


def test_open_incidents_come_first_then_the_newest(viewer_client):
    old_open = make_incident(started_at=at(2025, 1, 1))
    new_resolved = make_incident(
        started_at=at(2025, 3, 1), resolved_at=at(2025, 3, 1, 2)
    )
    new_open = make_incident(started_at=at(2025, 2, 1))

    response = viewer_client.get(LIST)

    assert response.status_code == 200
    assert _keys(response) == [new_open.key, old_open.key, new_resolved.key]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "open"}, ["a", "b"]),
        ({"status": "resolved"}, ["c"]),
        ({"status": "identified"}, ["b"]),
        ({"severity": "SEV1"}, ["a", "c"]),
        ({"service": "search"}, ["b"]),
        ({"commander": "cora"}, ["c"]),
        ({"severity": "SEV1", "status": "open"}, ["a"]),
    ],
)
def test_filters_narrow_the_list(viewer_client, query, expected):
    checkout, search = make_service("checkout"), make_service("search")
    cora = make_user("cora", Role.VIEWER)
    titles = {
        "a": make_incident([checkout], title="a", severity="SEV1"),
        "b": make_incident([search], title="b", status="identified"),
        "c": make_incident(
            [checkout],
            title="c",
            severity="SEV1",
            resolved_at=at(2025, 1, 2),
            commander=cora,
        ),
    }

    response = viewer_client.get(LIST, query)

    assert response.status_code == 200
    assert sorted(_keys(response)) == sorted(titles[t].key for t in expected)


def test_the_date_range_is_read_in_the_persons_zone(viewer_client, viewer):
    Profile.objects.create(user=viewer, time_zone="Europe/Berlin")
    # 23:30 UTC on 1 March is already 2 March in Berlin (UTC+1 in winter).
    late = make_incident(started_at=at(2025, 3, 1, 23, 30))
    make_incident(started_at=at(2025, 3, 1, 22, 30))

    response = viewer_client.get(
        LIST, {"started_from": "2025-03-02", "started_to": "2025-03-02"}
    )

    assert _keys(response) == [late.key]


def test_a_last_day_at_the_end_of_the_calendar_excludes_nothing(viewer_client):
    incident = make_incident(started_at=at(2025, 3, 1))

    response = viewer_client.get(LIST, {"started_to": "9999-12-31"})

    assert response.status_code == 200
    assert _keys(response) == [incident.key]


def test_a_first_day_before_utc_begins_excludes_nothing(viewer_client, viewer):
    # 0001-01-01 starts at 0000-12-31T15:00 UTC in Tokyo, a year Python lacks.
    Profile.objects.create(user=viewer, time_zone="Asia/Tokyo")
    incident = make_incident(started_at=at(2025, 3, 1))

    response = viewer_client.get(LIST, {"started_from": "0001-01-01"})

    assert response.status_code == 200
    assert _keys(response) == [incident.key]


@pytest.mark.parametrize("text", ["database", "DATABASE", "replica lag", "INC-{pk}"])
def test_search_covers_title_summary_notes_and_key(viewer_client, text):
    by_title = make_incident(title="Database down")
    by_summary = make_incident(title="x", summary="The replica lag grew")
    by_note = make_incident(title="y")
    make_note(by_note, "Failover of the database finished")
    make_incident(title="unrelated")

    response = viewer_client.get(LIST, {"q": text.format(pk=by_title.pk)})

    expected = {
        "database": {by_title.key, by_note.key},
        "DATABASE": {by_title.key, by_note.key},
        "replica lag": {by_summary.key},
        "INC-{pk}": {by_title.key},
    }[text]
    assert set(_keys(response)) == expected


def test_sorting_by_severity_puts_sev1_first(viewer_client):
    minor = make_incident(severity="SEV3", started_at=at(2025, 2, 1))
    critical = make_incident(severity="SEV1", started_at=at(2025, 1, 1))

    response = viewer_client.get(LIST, {"sort": "severity"})

    assert _keys(response) == [critical.key, minor.key]


def test_pages_hold_fifty_and_keep_the_filters_in_their_links(viewer_client):
    service = make_service("checkout")
    Incident.objects.bulk_create(
        Incident(title=f"i{n}", severity="SEV2", started_at=at(2025, 1, 1, 0, n))
        for n in range(55)
    )
    for incident in Incident.objects.all():
        incident.services.add(service)

    first = viewer_client.get(LIST, {"severity": "SEV2"})
    second = viewer_client.get(LIST, {"severity": "SEV2", "page": 2})

    assert len(_keys(first)) == 50
    assert len(_keys(second)) == 5
    assert "?severity=SEV2&amp;page=2" in first.content.decode()


def test_an_invalid_filter_is_a_400_that_names_the_field(viewer_client):
    response = viewer_client.get(LIST, {"severity": "SEV9"})

    assert response.status_code == 400
    assert "severity" in response.context["filters"].form.errors


def test_the_header_counts_open_incidents_by_severity(viewer_client):
    make_incident(severity="SEV1")
    make_incident(severity="SEV1")
    make_incident(severity="SEV3")
    make_incident(severity="SEV2", resolved_at=at(2025, 1, 2))

    response = viewer_client.get(reverse("incidents:services"))

    assert response.context["open_incident_counts"] == {
        "SEV1": 2,
        "SEV2": 0,
        "SEV3": 1,
        "SEV4": 0,
    }
    assert 'data-severity="SEV1">SEV1 2<' in response.content.decode()


def test_htmx_gets_just_the_results(viewer_client):
    make_incident(title="Only one")

    response = viewer_client.get(
        LIST, {"q": "only"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-results"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="incident-results"')
    assert "Only one" in html
    assert "<header" not in html


def test_the_list_makes_a_fixed_number_of_queries(
    viewer_client, django_assert_num_queries
):
    services = [make_service(f"s{n}") for n in range(3)]
    for n in range(30):
        make_incident(services, commander=make_user(f"c{n}"))
    viewer_client.get(LIST)  # warm the session

    # session, user, profile, groups, header counts, count, page, services prefetch,
    # and the commander and service choices of the filter form.
    with django_assert_num_queries(10):
        response = viewer_client.get(LIST, {"severity": "SEV2", "q": "Incident"})

    assert response.status_code == 200
    assert len(_keys(response)) == 30
