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
