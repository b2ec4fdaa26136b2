import re

import pytest

pytestmark = pytest.mark.django_db


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="edge-7f3a.1:42")

    assert response["X-Request-ID"] == "edge-7f3a.1:42"


@pytest.mark.parametrize(
    "incoming", ["", "has space", "x" * 129, "line\nbreak", 'quote"d']
)
def test_an_odd_incoming_request_id_is_replaced_by_a_fresh_one(client, incoming):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_pages_carry_a_strict_content_security_policy_and_security_headers(client):
    response = client.get("/accounts/login/")

    directives = dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(client, responder):
    response = client.post(
        "/accounts/login/", {"username": "rita", "password": "pw-rita"}
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["httponly"] is True


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/incidents/", "/api/docs/"])
def test_pages_have_no_inline_script_for_the_policy_to_block(admin_client, path):
    if path == "/accounts/login/":
        admin_client.logout()  # a signed-in person is sent on from the login page

    response = admin_client.get(path)

    assert response.status_code == 200
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert all("src=" in tag for tag in scripts), scripts
    assert "onclick=" not in response.content.decode()
