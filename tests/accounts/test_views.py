import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Profile, Role

from ..factories import at, make_incident, make_user

LOGIN = reverse("login")
LIMIT = settings.AXES_FAILURE_LIMIT


def _attempt(client, username: str, password: str = "wrong"):
    return client.post(LOGIN, {"username": username, "password": password})


def _normalised(response, username: str) -> str:
    html = response.content.decode().replace(username, "USERNAME")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_logging_in_lands_on_the_overview(client, db):
    make_user("rita", Role.RESPONDER)

    response = _attempt(client, "rita", "pw-rita")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_attempt_after_the_limit_is_refused_even_with_the_right_password(
    client, db
):
    make_user("rita", Role.RESPONDER)
    answers = [_attempt(client, "rita").status_code for _ in range(LIMIT - 1)]

    # The LIMIT-th failure locks; the attempt after it is refused whatever it holds.
    locking = _attempt(client, "rita")
    refused = _attempt(client, "rita", "pw-rita")

    assert answers == [200] * (LIMIT - 1)
    assert locking.status_code == 429
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_and_known_accounts_get_the_same_answers(client, db):
    make_user("rita", Role.RESPONDER)

    known = [_attempt(client, "rita") for _ in range(LIMIT + 1)]
    unknown = [_attempt(client, "nobody") for _ in range(LIMIT + 1)]

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    for mine, theirs in zip(known, unknown, strict=True):
        assert _normalised(mine, "rita") == _normalised(theirs, "nobody")


def test_a_wrong_password_gets_one_message_that_reveals_nothing(client, db):
    make_user("rita", Role.RESPONDER)

    response = _attempt(client, "rita")

    html = response.content.decode()
    assert response.status_code == 200
    assert "That username and password do not match." in html


def test_logging_out_needs_a_post_and_ends_the_session(responder_client):
    response = responder_client.post(reverse("logout"))

    assert response.status_code == 302
    assert responder_client.get("/").status_code == 302


def test_changing_the_password_keeps_the_person_logged_in(client, db):
    user = make_user("rita", Role.RESPONDER)
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-rita",
            "new_password1": "a-long-new-passphrase-42",
            "new_password2": "a-long-new-passphrase-42",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-new-passphrase-42")
    assert client.get("/").status_code == 200


def test_a_refused_password_change_answers_400_and_keeps_the_password(client, db):
    user = make_user("rita", Role.RESPONDER)
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "not-my-password",
            "new_password1": "a-long-new-passphrase-42",
            "new_password2": "a-long-new-passphrase-42",
        },
    )

    assert response.status_code == 400
    assert "old_password" in response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password("pw-rita")


def test_the_profile_defaults_to_the_teams_zone(viewer_client):
    response = viewer_client.get(reverse("profile"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"The team&#x27;s zone ({settings.TIME_ZONE})" in html
    assert '<dd id="profile-role">viewer</dd>' in html


def test_picking_a_zone_changes_how_every_page_shows_times(viewer_client, viewer):
    incident = make_incident(started_at=at(2025, 1, 15, 12))

    response = viewer_client.post(reverse("profile"), {"time_zone": "Asia/Tokyo"})

    assert response.status_code == 302
    assert Profile.objects.get(user=viewer).time_zone == "Asia/Tokyo"
    html = viewer_client.get(incident.get_absolute_url()).content.decode()
    assert "2025-01-15 21:00 JST" in html
    assert 'title="2025-01-15 12:00:00 UTC"' in html


def test_an_unknown_zone_is_refused_on_its_field(viewer_client, viewer):
    response = viewer_client.post(reverse("profile"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 400
    assert "time_zone" in response.context["form"].errors
    assert not Profile.objects.filter(user=viewer).exists()


@pytest.mark.parametrize("zone", ["", "UTC"])
def test_going_back_to_the_teams_zone_or_utc_is_allowed(viewer_client, viewer, zone):
    Profile.objects.create(user=viewer, time_zone="Asia/Tokyo")

    viewer_client.post(reverse("profile"), {"time_zone": zone})

    assert Profile.objects.get(user=viewer).time_zone == zone


def test_the_profile_needs_a_login(client, db):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
