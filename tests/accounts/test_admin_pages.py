import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.models import ApiToken, Role, hash_token
from accounts.roles import has_role, is_integration

from ..factories import make_user


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("page", ["people", "tokens"])
@pytest.mark.parametrize(
    ("role", "status"), [(Role.VIEWER, 403), (Role.RESPONDER, 403), (Role.ADMIN, 200)]
)
def test_only_admins_manage_people_and_tokens(client, db, page, role, status):
    client.force_login(make_user("someone", role))

    response = client.get(reverse(page))

    assert response.status_code == status


def test_an_admin_adds_a_person_with_a_role(admin_client):
    response = admin_client.post(
        reverse("people"),
        {"username": "newbie", "password": "a-long-passphrase-9", "role": "responder"},
    )

    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.check_password("a-long-passphrase-9")
    assert has_role(newbie, Role.RESPONDER)
    assert not has_role(newbie, Role.ADMIN)


def test_a_weak_password_or_taken_name_is_refused_on_its_field(admin_client):
    make_user("taken")

    response = admin_client.post(
        reverse("people"), {"username": "Taken", "password": "123", "role": "viewer"}
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"username", "password"}
    assert User.objects.filter(username__iexact="taken").count() == 1


@pytest.mark.parametrize("username", ["bad name!<script>", "tab\there", "semi;colon"])
def test_a_username_django_refuses_is_refused_on_its_field(admin_client, username):
    response = admin_client.post(
        reverse("people"),
        {"username": username, "password": "a-long-passphrase-9", "role": "viewer"},
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"username"}
    assert not User.objects.exclude(username="ada").exists()


def test_a_role_that_does_not_exist_answers_400_and_changes_nothing(admin_client):
    person = make_user("pat", Role.RESPONDER)

    response = admin_client.post(
        reverse("person-update", args=[person.pk]), {"role": "owner", "active": "on"}
    )

    assert response.status_code == 400
    assert "Pick a valid role for pat." in response.content.decode()
    assert has_role(User.objects.get(pk=person.pk), Role.RESPONDER)


def test_an_admin_changes_a_role_and_deactivates_a_person(admin_client):
    person = make_user("pat", Role.RESPONDER)

    response = admin_client.post(
        reverse("person-update", args=[person.pk]), {"role": "viewer"}
    )

    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert list(person.groups.values_list("name", flat=True)) == ["viewer"]
    assert not person.is_active


def test_an_admin_cannot_change_their_own_role(admin_client, admin_user):
    response = admin_client.post(
        reverse("person-update", args=[admin_user.pk]),
        {"role": "viewer", "active": "on"},
        follow=True,
    )

    assert "Ask another admin" in response.content.decode()
    assert has_role(User.objects.get(pk=admin_user.pk), Role.ADMIN)


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(admin_client):
    response = admin_client.post(reverse("tokens"), {"name": "github-ci"})

    raw = response.context["created"]["raw"]
    token = ApiToken.objects.get(name="github-ci")
    assert response.status_code == 200
    assert raw in response.content.decode()
    assert token.key_hash == hash_token(raw)
    assert is_integration(token.user)
    assert raw not in admin_client.get(reverse("tokens")).content.decode()


def test_a_duplicate_token_name_is_refused_on_its_field(admin_client):
    admin_client.post(reverse("tokens"), {"name": "ci"})

    response = admin_client.post(reverse("tokens"), {"name": "ci"})

    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert ApiToken.objects.count() == 1


def test_revoking_a_token_stops_it(admin_client):
    admin_client.post(reverse("tokens"), {"name": "ci"})
    token = ApiToken.objects.get()

    response = admin_client.post(reverse("token-revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not ApiToken.objects.active().exists()
