import logging

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from accounts.models import ApiToken, AuditEvent, Role
from accounts.services import create_api_token, revoke_api_token

from ..factories import make_user

Action = AuditEvent.Action


def test_a_login_is_recorded_with_the_client_address(client, db):
    make_user("rita", Role.RESPONDER)

    client.post(
        "/accounts/login/",
        {"username": "rita", "password": "pw-rita"},
        REMOTE_ADDR="203.0.113.7",
    )

    event = AuditEvent.objects.get(action=Action.LOGIN)
    assert event.actor_name == "rita"
    assert event.ip_address == "203.0.113.7"


def test_a_failed_login_is_recorded_under_the_name_tried(client, db):
    client.post("/accounts/login/", {"username": "mallory", "password": "guess"})

    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor_name == "mallory"
    assert event.actor is None


def test_a_username_cannot_forge_a_second_log_line(client, db, caplog):
    forged = "x\n2026-01-01 INFO audit login by 'admin'"

    with caplog.at_level(logging.INFO, logger="accounts.audit"):
        client.post("/accounts/login/", {"username": forged, "password": "guess"})

    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert "\n" not in event.actor_name
    assert all("\n" not in record.getMessage() for record in caplog.records)


def test_creating_and_revoking_a_token_is_recorded(admin_user):
    token, _ = create_api_token(name="gitlab", created_by=admin_user)
    revoke_api_token(token=token, actor=admin_user)

    actions = list(
        AuditEvent.objects.order_by("id").values_list("action", "target", "actor_name")
    )
    assert (Action.TOKEN_CREATED, "gitlab", "ada") in actions
    assert (Action.TOKEN_REVOKED, "gitlab", "ada") in actions
    assert ApiToken.objects.get(name="gitlab").revoked_at is not None


def test_revoking_twice_records_once(admin_user):
    token, _ = create_api_token(name="once", created_by=admin_user)

    assert revoke_api_token(token=token, actor=admin_user) is True
    assert revoke_api_token(token=token, actor=admin_user) is False

    assert AuditEvent.objects.filter(action=Action.TOKEN_REVOKED).count() == 1


def test_a_role_change_is_recorded(db):
    user = make_user("newbie")

    user.groups.add(Group.objects.get(name=Role.RESPONDER))

    event = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert event.target == "newbie"
    assert event.detail == {"change": "add", "groups": ["responder"]}


def test_a_refused_page_action_is_recorded(viewer_client):
    response = viewer_client.post("/incidents/declare/", {"title": "x"})

    assert response.status_code == 403
    event = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert event.target == "POST /incidents/declare/"
    assert event.actor_name == "vera"


def test_a_refused_api_call_is_recorded(viewer, client):
    client.force_login(viewer)

    response = client.post(
        "/api/deployments/", {"service": "x"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        action=Action.PERMISSION_DENIED, target="POST /api/deployments/"
    ).exists()


def test_admins_can_export_the_trail_as_csv(client, admin_user):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    create_api_token(name="=cmd|calc", created_by=admin_user)
    ids = [str(pk) for pk in AuditEvent.objects.values_list("pk", flat=True)]

    response = client.post(
        "/admin/accounts/auditevent/",
        {"action": "export_csv", "_selected_action": ids},
    )

    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "at_utc,action,actor,target,ip_address,detail"
    assert any("'=cmd|calc" in line for line in lines)
    assert all(line.split(",")[0].endswith("Z") for line in lines[1:])


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "198.51.100.1", "203.0.113.9", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], "10.0.0.2", "203.0.113.9, 10.0.0.5", "203.0.113.9"),
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (["10.0.0.0/8"], "198.51.100.1", "203.0.113.9", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.2", "not-an-ip", "10.0.0.2"),
    ],
)
def test_a_proxy_header_is_believed_only_from_a_trusted_proxy(
    rf, trusted, remote, forwarded, expected
):
    from accounts.client_ip import _trusted_networks, client_ip

    _trusted_networks.cache_clear()
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    with override_settings(TRUSTED_PROXIES=trusted):
        assert client_ip(request) == expected
