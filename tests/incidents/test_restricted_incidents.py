import pytest

from accounts.models import Role
from incidents.models import Incident

from ..factories import make_incident, make_user


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
    from accounts.models import AuditEvent

    admin = make_user("ada", Role.ADMIN)
    client.force_login(admin)

    response = client.get(f"/incidents/{restricted.key}/")

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESTRICTED_ACCESS)
    assert event.actor_name == "ada"
    assert event.target.startswith(restricted.key)
