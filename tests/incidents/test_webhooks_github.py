import copy
import hashlib
import hmac
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from incidents.models import Deployment

from ..factories import at

URL = "/api/webhooks/github/"
SECRET = "It's a Secret to Everybody"
PAYLOADS = Path(__file__).parent / "payloads" / "github"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET


def load(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(payload: dict, *, event="deployment_status", signature=None):
    body = json.dumps(payload).encode()
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": "72d3162e"}
    if signature is not False:
        headers["HTTP_X_HUB_SIGNATURE_256"] = (
            sign(body) if signature is None else signature
        )
    return APIClient().post(URL, body, content_type="application/json", **headers)


def test_a_success_becomes_a_finished_deployment_in_utc(db):
    response = deliver(load("deployment_status_success"))

    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == "created"
    deployment = Deployment.objects.get()
    assert deployment.service.slug == "checkout"
    assert deployment.environment == "production"
    assert deployment.status == Deployment.Status.SUCCESS
    assert deployment.source == Deployment.Source.GITHUB
    assert deployment.external_id == "github:1425187712"
    assert deployment.version == "v2.4.0"
    assert deployment.commit_sha == "9f3c2a1b7e4d5c6f8a9b0c1d2e3f4a5b6c7d8e9f"
    assert deployment.started_at == at(2025, 5, 2, 9, 50, 1)
    assert deployment.finished_at == at(2025, 5, 2, 9, 57, 12, 123000)
    assert deployment.deployed_by == "octocat"
    assert deployment.url.endswith("/job/24470033")


def test_in_progress_then_success_moves_one_deployment_on(db):
    started = deliver(load("deployment_status_in_progress"))
    finished = deliver(load("deployment_status_success"))

    assert started.json()["outcome"] == "created"
    assert finished.json()["outcome"] == "updated"
    deployment = Deployment.objects.get()
    assert deployment.status == Deployment.Status.SUCCESS
    assert deployment.finished_at == at(2025, 5, 2, 9, 57, 12, 123000)


def test_a_redelivery_changes_nothing(db):
    deliver(load("deployment_status_success"))
    before = Deployment.objects.values().get()

    response = deliver(load("deployment_status_success"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unchanged"
    assert Deployment.objects.values().get() == before


def test_a_late_in_progress_after_success_is_acknowledged_and_ignored(db):
    deliver(load("deployment_status_success"))

    response = deliver(load("deployment_status_in_progress"))

    assert response.status_code == 202
    assert Deployment.objects.get().status == Deployment.Status.SUCCESS


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("queued", "in_progress"),
        ("pending", "in_progress"),
        ("waiting", "in_progress"),
        ("in_progress", "in_progress"),
        ("success", "success"),
        ("failure", "failure"),
        ("error", "failure"),
    ],
)
def test_states_map_to_statuses(db, state, status):
    payload = load("deployment_status_success")
    payload["deployment_status"]["state"] = state

    response = deliver(payload)

    assert response.status_code == 200
    assert Deployment.objects.get().status == status


def test_inactive_changes_nothing(db):
    deliver(load("deployment_status_success"))
    payload = load("deployment_status_success")
    payload["deployment_status"]["state"] = "inactive"

    response = deliver(payload)

    assert response.json()["outcome"] == "unchanged"
    assert Deployment.objects.get().status == Deployment.Status.SUCCESS


@pytest.mark.parametrize(
    "signature",
    [False, "", "sha256=" + "0" * 64, "sha1=abc", "sha256=not-hex-at-all-ü"],
    ids=["missing", "empty", "wrong", "other-algorithm", "garbage"],
)
def test_a_wrong_or_missing_signature_is_401_and_stores_nothing(db, signature):
    response = deliver(load("deployment_status_success"), signature=signature)

    assert response.status_code == 401
    assert Deployment.objects.count() == 0


def test_a_signature_made_with_another_secret_is_401(db):
    payload = load("deployment_status_success")
    body = json.dumps(payload).encode()

    response = deliver(payload, signature=sign(body, "another secret"))

    assert response.status_code == 401
    assert Deployment.objects.count() == 0


def test_without_a_configured_secret_everything_is_refused(db, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""

    response = deliver(load("deployment_status_success"), signature=sign(b"", ""))

    assert response.status_code == 401
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize(("event", "name"), [("push", "push"), ("ping", "ping")])
def test_other_events_are_acknowledged_and_ignored(db, event, name):
    response = deliver(load(name), event=event)

    assert response.status_code in (200, 202)
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-02T09:57:12Z", at(2025, 5, 2, 9, 57, 12)),
        ("2025-05-02T11:57:12+02:00", at(2025, 5, 2, 9, 57, 12)),
        ("2025-05-02T04:57:12.5-05:00", at(2025, 5, 2, 9, 57, 12, 500000)),
        ("2025-05-02T09:57:12.123456789Z", at(2025, 5, 2, 9, 57, 12, 123456)),
    ],
)
def test_times_in_any_rfc3339_form_are_stored_in_utc(db, value, expected):
    payload = load("deployment_status_success")
    payload["deployment_status"]["created_at"] = value

    deliver(payload)

    assert Deployment.objects.get().finished_at == expected


@pytest.mark.parametrize("value", ["2025-05-02T09:57:12", "yesterday", 12])
def test_an_unzoned_or_unreadable_time_is_a_400_naming_the_field(db, value):
    payload = load("deployment_status_success")
    payload["deployment_status"]["created_at"] = value

    response = deliver(payload)

    assert response.status_code == 400
    assert "deployment_status.created_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_a_time_with_no_utc_form_is_a_400_naming_the_field(db):
    # It reads, but 23:59:59 at -05:00 on the last day is past the last UTC instant.
    payload = load("deployment_status_success")
    payload["deployment_status"]["created_at"] = "9999-12-31T23:59:59-05:00"

    response = deliver(payload)

    assert response.status_code == 400
    assert "deployment_status.created_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_a_payload_without_a_deployment_id_is_a_400(db):
    payload = copy.deepcopy(load("deployment_status_success"))
    del payload["deployment"]["id"]

    response = deliver(payload)

    assert response.status_code == 400
    assert "deployment.id" in response.json()["error"]["fields"]


def test_a_body_that_is_not_json_is_a_400(db):
    body = b"not json"

    response = APIClient().post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="deployment_status",
        HTTP_X_HUB_SIGNATURE_256=sign(body),
    )

    assert response.status_code == 400


def test_the_form_encoded_content_type_works_too(db):
    body = urlencode({"payload": json.dumps(load("deployment_status_success"))})

    response = APIClient().post(
        URL,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_GITHUB_EVENT="deployment_status",
        HTTP_X_HUB_SIGNATURE_256=sign(body.encode()),
    )

    assert response.status_code == 200, response.json()
    assert Deployment.objects.get().external_id == "github:1425187712"


@pytest.mark.parametrize(
    ("section", "key", "field"),
    [
        ("deployment_status", "environment", "deployment_status.environment"),
        ("deployment", "sha", "deployment.sha"),
        ("deployment", "description", "deployment.description"),
        ("deployment", "id", "deployment.id"),
    ],
)
def test_a_nul_character_in_a_field_is_a_400_naming_it(db, section, key, field):
    payload = load("deployment_status_success")
    payload[section][key] = "abc\x00def"

    response = deliver(payload)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_a_nul_character_in_the_creator_login_is_a_400_naming_it(db):
    payload = load("deployment_status_success")
    payload["deployment"]["creator"]["login"] = "octo\x00cat"

    response = deliver(payload)

    assert response.status_code == 400
    assert "deployment.creator.login" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0
