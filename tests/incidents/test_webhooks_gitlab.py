import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from incidents.models import Deployment

from ..factories import at

URL = "/api/webhooks/gitlab/"
TOKEN = "gl-webhook-token-0f3a"
PAYLOADS = Path(__file__).parent / "payloads" / "gitlab"


@pytest.fixture(autouse=True)
def token(settings):
    settings.GITLAB_WEBHOOK_TOKEN = TOKEN


def load(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def deliver(payload: dict, *, event="Deployment Hook", token=TOKEN):
    headers = {"HTTP_X_GITLAB_EVENT": event}
    if token is not None:
        headers["HTTP_X_GITLAB_TOKEN"] = token
    return APIClient().post(URL, payload, format="json", **headers)


def test_running_then_success_records_one_deployment_in_utc(db):
    started = deliver(load("deployment_running"))
    finished = deliver(load("deployment_success"))

    assert started.status_code == 200, started.json()
    assert finished.json()["outcome"] == "updated"
    deployment = Deployment.objects.get()
    assert deployment.service.slug == "billing-api"
    assert deployment.source == Deployment.Source.GITLAB
    assert deployment.external_id == "gitlab:15"
    assert deployment.status == Deployment.Status.SUCCESS
    assert deployment.started_at == at(2025, 5, 2, 9, 50, 16)
    assert deployment.finished_at == at(2025, 5, 2, 11, 55, 16)
    assert deployment.commit_sha == "279484c09fbe69ededfced8c1bb6e6d24616b468"
    assert deployment.url == "https://gitlab.example.com/acme/billing-api/-/jobs/796"


def test_a_redelivery_changes_nothing(db):
    deliver(load("deployment_success"))
    before = Deployment.objects.values().get()

    response = deliver(load("deployment_success"))

    assert response.json()["outcome"] == "unchanged"
    assert Deployment.objects.values().get() == before


@pytest.mark.parametrize(
    ("gitlab_status", "status"),
    [
        ("running", "in_progress"),
        ("success", "success"),
        ("failed", "failure"),
        ("canceled", "failure"),
    ],
)
def test_statuses_map(db, gitlab_status, status):
    payload = load("deployment_success")
    payload["status"] = gitlab_status

    response = deliver(payload)

    assert response.status_code == 200
    assert Deployment.objects.get().status == status


@pytest.mark.parametrize("gitlab_status", ["created", "blocked", "skipped"])
def test_a_deployment_that_has_not_run_records_nothing(db, gitlab_status):
    payload = load("deployment_success")
    payload["status"] = gitlab_status

    response = deliver(payload)

    assert response.status_code == 202
    assert Deployment.objects.count() == 0


def test_a_blocked_deployment_is_recorded_once_it_runs(db):
    blocked = load("deployment_running")
    blocked["status"] = "blocked"
    deliver(blocked)

    response = deliver(load("deployment_running"))

    assert response.json()["outcome"] == "created"
    assert Deployment.objects.get().started_at == at(2025, 5, 2, 9, 50, 16)


@pytest.mark.parametrize("action", ["approved", "rejected"])
def test_approvals_are_acknowledged_and_ignored(db, action):
    deliver(load("deployment_running"))
    payload = load("deployment_running")
    payload["status"] = action

    response = deliver(payload)

    assert response.status_code == 202
    assert response.json()["outcome"] == "ignored"
    assert Deployment.objects.get().status == Deployment.Status.IN_PROGRESS


def test_a_project_with_a_non_latin_name_is_known_by_its_path(db):
    payload = load("deployment_success")
    payload["project"].update(name="Платежи", path_with_namespace="acme/payments")

    response = deliver(payload)

    assert response.status_code == 200
    service = Deployment.objects.get().service
    assert service.slug == "payments"
    assert service.name == "Платежи"


def test_the_project_path_names_the_service_rather_than_its_title(db):
    payload = load("deployment_success")
    payload["project"].update(name="Billing", path_with_namespace="acme/billing-api")

    deliver(payload)

    assert Deployment.objects.get().service.slug == "billing-api"


def test_a_project_with_no_usable_path_or_name_is_a_400_naming_the_path(db):
    payload = load("deployment_success")
    payload["project"].update(name="Платежи", path_with_namespace="acme/платежи")

    response = deliver(payload)

    assert response.status_code == 400
    assert "project.path_with_namespace" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize("given", [None, "", "gl-webhook-token-0f3b", TOKEN + " "])
def test_a_wrong_or_missing_token_is_401_and_stores_nothing(db, given):
    response = deliver(load("deployment_success"), token=given)

    assert response.status_code == 401
    assert Deployment.objects.count() == 0


def test_other_events_are_acknowledged_and_ignored(db):
    response = deliver(load("pipeline"), event="Pipeline Hook")

    assert response.status_code == 202
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-05-02 11:55:16 +0000", at(2025, 5, 2, 11, 55, 16)),
        ("2025-05-02 13:55:16 +0200", at(2025, 5, 2, 11, 55, 16)),
        ("2025-05-02 11:55:16 UTC", at(2025, 5, 2, 11, 55, 16)),
        ("2025-05-02T11:55:16.250Z", at(2025, 5, 2, 11, 55, 16, 250000)),
    ],
)
def test_gitlab_and_rfc3339_times_are_stored_in_utc(db, value, expected):
    payload = load("deployment_success")
    payload["status_changed_at"] = value

    deliver(payload)

    assert Deployment.objects.get().finished_at == expected


@pytest.mark.parametrize("value", ["2025-05-02 11:55:16", "02/05/2025", None])
def test_an_unzoned_unreadable_or_missing_time_is_a_400_naming_it(db, value):
    payload = load("deployment_success")
    payload["status_changed_at"] = value

    response = deliver(payload)

    assert response.status_code == 400
    assert "status_changed_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_a_time_with_no_utc_form_is_a_400_naming_it(db):
    # It reads, but 23:59:59 at -0500 on the last day is past the last UTC instant.
    payload = load("deployment_success")
    payload["status_changed_at"] = "9999-12-31 23:59:59 -0500"

    response = deliver(payload)

    assert response.status_code == 400
    assert "status_changed_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_an_unknown_status_is_a_400(db):
    payload = load("deployment_success")
    payload["status"] = "exploded"

    response = deliver(payload)

    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize("field", ["environment", "ref", "commit_title", "commit_url"])
def test_a_nul_character_in_a_field_is_a_400_naming_it(db, field):
    payload = load("deployment_success")
    payload[field] = "abc\x00def"

    response = deliver(payload)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_a_nul_character_in_the_username_is_a_400_naming_it(db):
    payload = load("deployment_success")
    payload["user"]["username"] = "ro\x00ot"

    response = deliver(payload)

    assert response.status_code == 400
    assert "user.username" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0
