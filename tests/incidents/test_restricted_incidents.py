import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role
from incidents.models import Incident

from ..factories import make_incident, make_postmortem, make_user


@pytest.fixture
def restricted(db):
    return make_incident(title="Leaked credentials", is_restricted=True)


@pytest.fixture
def public(db):
    return make_incident(title="Slow search")


def visible_titles(user):
    return set(Incident.objects.visible_to(user).values_list("title", flat=True))


def test_a_viewer_does_not_see_a_restricted_incident(viewer, restricted, public):
    assert visible_titles(viewer) == {"Slow search"}
    assert not restricted.is_visible_to(viewer)
    assert public.is_visible_to(viewer)


def test_an_admin_sees_every_incident(admin_user, restricted, public):
    assert visible_titles(admin_user) == {"Leaked credentials", "Slow search"}


@pytest.mark.parametrize("link", ["commander", "communications_lead", "created_by"])
def test_the_incident_roles_see_it(restricted, public, link):
    person = make_user("sam", Role.RESPONDER)
    setattr(restricted, link, person)
    restricted.save()

    assert visible_titles(person) == {"Leaked credentials", "Slow search"}


def test_a_listed_responder_sees_it_and_another_responder_does_not(restricted, public):
    listed = make_user("sam", Role.RESPONDER)
    other = make_user("tim", Role.RESPONDER)
    restricted.responders.add(listed)

    assert restricted.is_visible_to(listed)
    assert not restricted.is_visible_to(other)


def test_a_viewer_gets_404_for_a_restricted_incident_page(viewer_client, restricted):
    response = viewer_client.get(f"/incidents/{restricted.key}/")

    assert response.status_code == 404


def test_restricted_incidents_stay_out_of_the_list_search_and_csv(
    viewer_client, restricted, public
):
    listing = viewer_client.get("/incidents/")
    search = viewer_client.get("/incidents/", {"q": "Leaked"})
    export = viewer_client.get("/incidents/export.csv")

    csv_text = b"".join(export.streaming_content).decode()
    assert "Slow search" in listing.content.decode()
    assert "Leaked credentials" not in listing.content.decode()
    assert "Leaked credentials" not in search.content.decode()
    assert "Slow search" in csv_text
    assert "Leaked credentials" not in csv_text


def test_an_admin_opening_a_restricted_incident_is_audited(client, restricted):
    admin = make_user("ada", Role.ADMIN)
    client.force_login(admin)

    response = client.get(f"/incidents/{restricted.key}/")

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESTRICTED_ACCESS)
    assert event.actor_name == "ada"
    assert event.target.startswith(restricted.key)


def restricted_reads():
    return AuditEvent.objects.filter(action=AuditEvent.Action.RESTRICTED_ACCESS)


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/api/incidents/{incident}/",
        "/api/incidents/{incident}/timeline/",
        "/api/postmortems/{postmortem}/",
    ],
    ids=["incident", "timeline", "postmortem"],
)
def test_an_admin_reading_a_restricted_incident_through_the_api_is_audited(
    admin_api, restricted, url
):
    postmortem = make_postmortem(restricted)
    path = url.format(incident=restricted.pk, postmortem=postmortem.pk)

    response = admin_api.get(path, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    event = restricted_reads().get()
    assert event.actor_name == "ada"
    assert event.target == f"{restricted.key} GET {path}"
    assert event.ip_address == "203.0.113.7"


@pytest.mark.parametrize(
    "page", ["postmortem/", "postmortem/export.md", "postmortem/revisions/"]
)
def test_an_admin_opening_a_restricted_postmortem_page_is_audited(
    client, admin_user, restricted, page
):
    make_postmortem(restricted)
    client.force_login(admin_user)
    path = f"/incidents/{restricted.key}/{page}"

    response = client.get(path)

    assert response.status_code == 200
    event = restricted_reads().get()
    assert event.actor_name == "ada"
    assert event.target == f"{restricted.key} GET {path}"


def test_a_listed_responder_reading_it_through_the_api_is_audited(restricted):
    listed = make_user("sam", Role.RESPONDER)
    restricted.responders.add(listed)
    client = APIClient()
    client.force_authenticate(listed)

    response = client.get(f"/api/incidents/{restricted.pk}/")

    assert response.status_code == 200
    assert restricted_reads().get().actor_name == "sam"


def test_reading_an_unrestricted_incident_through_the_api_is_not_audited(
    admin_api, public
):
    response = admin_api.get(f"/api/incidents/{public.pk}/")

    assert response.status_code == 200
    assert not restricted_reads().exists()


@pytest.mark.parametrize(
    "url", ["/incidents/", "/incidents/export.csv", "/api/incidents/"]
)
def test_a_list_with_restricted_incidents_is_audited_once_with_their_count(
    client, admin_user, restricted, public, url
):
    make_incident(title="Stolen laptop", is_restricted=True)
    client.force_login(admin_user)

    response = client.get(url)

    assert response.status_code == 200
    event = restricted_reads().get()
    assert event.actor_name == "ada"
    assert event.detail == {"restricted_incidents": 2}
    assert event.target == f"2 restricted GET {url}"


def test_the_postmortem_list_counts_the_restricted_ones_it_includes(
    admin_api, restricted, public
):
    make_postmortem(restricted)
    make_postmortem(public)

    response = admin_api.get("/api/postmortems/")

    assert response.json()["count"] == 2
    assert restricted_reads().get().detail == {"restricted_incidents": 1}


@pytest.mark.parametrize(
    "url", ["/incidents/", "/incidents/export.csv", "/api/incidents/"]
)
def test_a_list_without_restricted_incidents_is_not_audited(
    viewer_client, restricted, public, url
):
    response = viewer_client.get(url)

    assert response.status_code == 200
    assert not restricted_reads().exists()
