import pytest
from rest_framework.test import APIClient

from incidents.models import Commit, Deployment, Service

from ..factories import at, make_deployment, make_token

URL = "/api/deployments/"


def payload(**overrides):
    body = {
        "service": "checkout",
        "environment": "production",
        "version": "v1.2.3",
        "commit_sha": "abc1234",
        "status": "success",
        "started_at": "2025-05-02T09:50:00Z",
        "finished_at": "2025-05-02T11:55:16.123456789+02:00",
        "external_id": "run-1",
        "commits": [
            {
                "sha": "abc1234",
                "committed_at": "2025-05-01T09:00:00Z",
                "author": "dev",
                "message": "Fix rounding",
            },
            {"sha": "def5678", "committed_at": "2025-05-01T08:00:00-05:00"},
        ],
    }
    body.update(overrides)
    return body


def test_posting_a_deployment_records_it_with_its_commits(api):
    response = api.post(URL, payload(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"]
    assert body["service"] == "checkout"
    assert body["finished_at"] == "2025-05-02T09:55:16.123456Z"
    deployment = Deployment.objects.get(pk=body["id"])
    assert deployment.finished_at == at(2025, 5, 2, 9, 55, 16, 123456)
    commits = {c.sha: c.committed_at for c in deployment.commits.all()}
    assert commits == {
        "abc1234": at(2025, 5, 1, 9),
        "def5678": at(2025, 5, 1, 13),
    }
    assert Service.objects.filter(slug="checkout").exists()


def test_a_repeat_with_the_same_external_id_returns_the_stored_record(api):
    first = api.post(URL, payload(), format="json")
    second = api.post(URL, payload(), format="json")

    assert second.status_code == 200
    assert second.json() == first.json()
    assert Deployment.objects.count() == 1
    assert Commit.objects.count() == 2


def test_the_same_external_id_with_other_content_is_refused(api):
    first = api.post(URL, payload(), format="json")

    response = api.post(URL, payload(version="changed"), format="json")

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "external_id_reused"
    assert f"PATCH /api/deployments/{first.json()['id']}/" in error["message"]
    assert Deployment.objects.get().version == "v1.2.3"


def test_a_repeat_spelling_the_same_times_otherwise_is_still_a_repeat(api):
    api.post(URL, payload(), format="json")
    same = payload(finished_at="2025-05-02T11:55:16.123456+02:00")

    response = api.post(URL, same, format="json")

    assert response.status_code == 200
    assert Deployment.objects.count() == 1


def test_retrying_the_first_report_after_a_patch_returns_the_moved_record(api):
    started = payload(status="in_progress", finished_at=None)
    first = api.post(URL, started, format="json")
    api.patch(
        f"{URL}{first.json()['id']}/",
        {"status": "success", "finished_at": "2025-05-02T10:00:00Z"},
        format="json",
    )

    retry = api.post(URL, started, format="json")

    assert retry.status_code == 200
    assert retry.json()["status"] == "success"


def test_a_time_without_a_zone_is_refused_naming_the_field(api):
    response = api.post(URL, payload(finished_at="2025-05-02T11:55:16"), format="json")

    assert response.status_code == 400
    assert "finished_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "exploded"),
        ("service", ""),
        ("service", "not a slug!"),
        ("started_at", "yesterday"),
        ("commits", [{"sha": "zzz", "committed_at": "2025-05-01T09:00:00Z"}]),
        ("commits", [{"sha": "abc1234"}]),
        ("rollback_of", 999999),
    ],
)
def test_bad_input_gets_a_400_with_field_errors_and_stores_nothing(api, field, value):
    response = api.post(URL, payload(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def test_finishing_before_starting_is_refused(api):
    response = api.post(
        URL,
        payload(started_at="2025-05-02T12:00:00Z", finished_at="2025-05-02T11:00:00Z"),
        format="json",
    )

    assert response.status_code == 400
    assert "finished_at" in response.json()["error"]["fields"]


def test_a_finished_status_without_a_time_is_stamped_now(api):
    response = api.post(URL, payload(finished_at=None, external_id=None), format="json")

    assert response.status_code == 201
    assert Deployment.objects.get().finished_at is not None


def test_without_a_token_the_api_answers_401(db):
    response = APIClient().post(URL, payload(), format="json")

    assert response.status_code == 401
    assert Deployment.objects.count() == 0


def test_a_wrong_token_answers_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer hs_not-a-real-token")

    response = client.post(URL, payload(), format="json")

    assert response.status_code == 401


def test_drf_token_keyword_is_accepted_too(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token('legacy')}")

    response = client.post(URL, payload(), format="json")

    assert response.status_code == 201


def test_a_started_deployment_is_finished_with_a_patch(api):
    created = api.post(
        URL, payload(status="in_progress", finished_at=None), format="json"
    ).json()

    response = api.patch(
        f"{URL}{created['id']}/",
        {"status": "success", "finished_at": "2025-05-02T12:00:00Z"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "success"
    assert Deployment.objects.get().finished_at == at(2025, 5, 2, 12)


def test_an_impossible_transition_is_refused_with_a_message(api):
    deployment = make_deployment(status=Deployment.Status.FAILURE)

    response = api.patch(f"{URL}{deployment.pk}/", {"status": "success"}, format="json")

    assert response.status_code == 422
    assert "failure" in response.json()["error"]["message"]
    deployment.refresh_from_db()
    assert deployment.status == Deployment.Status.FAILURE


def test_a_rollback_names_the_deployment_it_undoes(api):
    bad = make_deployment(finished_at=at(2025, 5, 2, 10))

    response = api.post(
        URL, payload(rollback_of=bad.pk, external_id="run-2"), format="json"
    )

    assert response.status_code == 201
    assert Deployment.objects.get(pk=response.json()["id"]).rollback_of == bad
