import re

from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import Role
from accounts.services import set_active

from ..factories import make_user


def log_in(client, username):
    return client.post(
        "/accounts/login/", {"username": username, "password": f"pw-{username}"}
    )


def test_the_session_key_changes_at_login(client, db):
    make_user("rita", Role.RESPONDER)
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key

    response = log_in(client, "rita")

    assert response.status_code == 302
    assert client.session.session_key != before


def test_logout_ends_the_session(client, db):
    make_user("rita", Role.RESPONDER)
    log_in(client, "rita")
    key = client.session.session_key

    client.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/incidents/").status_code == 302


def test_deactivating_a_user_ends_their_session_at_once(client, db):
    user = make_user("rita", Role.RESPONDER)
    log_in(client, "rita")
    assert client.get("/incidents/").status_code == 200

    user.is_active = False
    user.save()

    response = client.get("/incidents/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_reactivating_a_user_does_not_bring_their_old_session_back(
    client, db, django_capture_on_commit_callbacks
):
    user = make_user("rita", Role.RESPONDER)
    log_in(client, "rita")

    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    user.is_active = True
    user.save()

    response = client.get("/incidents/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_deactivating_through_the_service_deletes_the_stored_sessions(client, db):
    user = make_user("rita", Role.RESPONDER)
    log_in(client, "rita")
    other = Client()
    other.force_login(make_user("sam", Role.VIEWER))

    set_active(user=user, active=False, actor=None)

    assert Session.objects.count() == 1
    assert other.get("/incidents/").status_code == 200


def test_every_page_needs_a_login(client, db):
    for path in ["/", "/incidents/", "/postmortems/", "/metrics/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def test_unknown_and_known_accounts_get_the_same_answer(client, db):
    make_user("rita", Role.RESPONDER)

    known = client.post("/accounts/login/", {"username": "rita", "password": "bad"})
    unknown = client.post("/accounts/login/", {"username": "nobody", "password": "bad"})

    def page(response, name):
        text = response.content.decode().replace(name, "NAME")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert known.status_code == unknown.status_code == 200
    assert page(known, "rita") == page(unknown, "nobody")


def test_an_idle_session_ends_after_the_configured_time(client, db, settings):
    make_user("rita", Role.RESPONDER)
    log_in(client, "rita")
    assert client.get("/incidents/").status_code == 200
    session = client.session
    session["last_seen"] -= settings.SESSION_IDLE_SECONDS + 1
    session.save()

    response = client.get("/incidents/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_active_session_is_not_written_on_every_request(client, db):
    make_user("rita", Role.RESPONDER)
    log_in(client, "rita")
    client.get("/incidents/")
    stamped = client.session["last_seen"]

    client.get("/incidents/")

    assert client.session["last_seen"] == stamped
