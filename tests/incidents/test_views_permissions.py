"""Who may open which page and do which action: role x action, one row each."""

import pytest
from django.urls import reverse

from accounts.models import Role
from incidents.models import Incident

from ..factories import make_incident, make_service, make_user

ROLES = ["anonymous", "outsider", Role.VIEWER, Role.RESPONDER, Role.ADMIN]

# (name, method, url-builder, payload, lowest role allowed)
ACTIONS = [
    ("overview", "get", lambda i: reverse("incidents:overview"), None, Role.VIEWER),
    ("list", "get", lambda i: reverse("incidents:list"), None, Role.VIEWER),
    ("export", "get", lambda i: reverse("incidents:export"), None, Role.VIEWER),
    ("detail", "get", lambda i: i.get_absolute_url(), None, Role.VIEWER),
    ("services", "get", lambda i: reverse("incidents:services"), None, Role.VIEWER),
    (
        "service",
        "get",
        lambda i: reverse("incidents:service-detail", args=["checkout"]),
        None,
        Role.VIEWER,
    ),
    (
        "declare form",
        "get",
        lambda i: reverse("incidents:declare"),
        None,
        Role.RESPONDER,
    ),
    (
        "declare",
        "post",
        lambda i: reverse("incidents:declare"),
        {"title": "Down", "severity": "SEV3", "services": "SERVICE"},
        Role.RESPONDER,
    ),
    (
        "change status",
        "post",
        lambda i: reverse("incidents:status", args=[i.key]),
        {"status": "identified"},
        Role.RESPONDER,
    ),
    (
        "acknowledge",
        "post",
        lambda i: reverse("incidents:acknowledge", args=[i.key]),
        {},
        Role.RESPONDER,
    ),
    (
        "add note",
        "post",
        lambda i: reverse("incidents:note", args=[i.key]),
        {"body": "hello"},
        Role.RESPONDER,
    ),
    (
        "link cause",
        "post",
        lambda i: reverse("incidents:cause", args=[i.key]),
        {"deployment": ""},
        Role.RESPONDER,
    ),
    (
        "cause search",
        "get",
        lambda i: reverse("incidents:cause-search", args=[i.key]),
        None,
        Role.RESPONDER,
    ),
    (
        "edit",
        "get",
        lambda i: reverse("incidents:edit", args=[i.key]),
        None,
        Role.RESPONDER,
    ),
    (
        "correct times",
        "get",
        lambda i: reverse("incidents:times", args=[i.key]),
        None,
        Role.RESPONDER,
    ),
    (
        "add service",
        "get",
        lambda i: reverse("incidents:service-create"),
        None,
        Role.ADMIN,
    ),
    (
        "edit service",
        "post",
        lambda i: reverse("incidents:service-edit", args=["checkout"]),
        {"slug": "checkout", "name": "Checkout", "tier": "tier1"},
        Role.ADMIN,
    ),
]
_RANK = {Role.VIEWER: 1, Role.RESPONDER: 2, Role.ADMIN: 3}


def _rank(role) -> int:
    return _RANK.get(role, 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "payload", "needed"),
    ACTIONS,
    ids=[action[0] for action in ACTIONS],
)
def test_each_role_may_do_exactly_what_its_rank_allows(
    db, client, role, name, method, url, payload, needed
):
    service = make_service("checkout")
    incident = make_incident([service])
    if role != "anonymous":
        user = make_user("someone", None if role == "outsider" else role)
        client.force_login(user)

    payload = {
        field: service.pk if value == "SERVICE" else value
        for field, value in (payload or {}).items()
    }

    response = getattr(client, method)(url(incident), payload)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif _rank(role) < _rank(needed):
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302)


def test_a_viewer_forcing_a_status_change_gets_403_and_nothing_changes(viewer_client):
    incident = make_incident()

    response = viewer_client.post(
        reverse("incidents:status", args=[incident.key]), {"status": "resolved"}
    )

    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.INVESTIGATING
    assert incident.resolved_at is None
    assert not incident.timeline.exists()


def test_a_viewer_sees_no_controls_that_change_anything(viewer_client):
    incident = make_incident()

    response = viewer_client.get(incident.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    # The only form a viewer gets is the one that logs out.
    assert html.count("<form") == 1
    assert 'action="/accounts/logout/"' in html
    assert "Declare an incident" not in html
    assert "Correct times" not in html
