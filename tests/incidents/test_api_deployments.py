import contextlib
import threading

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from incidents.models import (
    Commit,
    Deployment,
    IdempotencyKey,
    OutgoingWebhook,
    WebhookDelivery,
)

from ..factories import at, make_deployment, make_service, make_token

URL = "/api/deployments/"


def payload(**overrides):
    body = {
        "service": "checkout",
        "environment": "production",
        "version": "v2.0.0",
        "commit_sha": "a" * 40,
        "status": "success",
        "started_at": "2025-05-02T10:00:00Z",
        "finished_at": "2025-05-02T10:07:00Z",
        "commits": [
            {
                "sha": f"{n:040x}",
                "committed_at": f"2025-05-01T{n:02d}:00:00+00:00",
                "authored_at": f"2025-05-01T{n:02d}:00:00+02:00",
                "author": "Dana Dev",
                "message": f"Change number {n}\n\nLonger description.",
            }
            for n in range(10)
        ],
    }
    body.update(overrides)
    return body


def test_the_same_idempotency_key_and_body_returns_the_stored_record(api):
    first = api.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="run-77")
    second = api.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="run-77")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert Deployment.objects.count() == 1
    assert Commit.objects.count() == 10
    assert IdempotencyKey.objects.get().deployment_id == first.json()["id"]


def test_the_same_key_with_another_body_is_refused_with_422(api):
    api.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="run-77")

    response = api.post(
        URL, payload(version="v2.0.1"), format="json", HTTP_IDEMPOTENCY_KEY="run-77"
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "run-77" in error["message"]
    assert "different request body" in error["message"]
    assert list(Deployment.objects.values_list("version", flat=True)) == ["v2.0.0"]


def test_key_order_and_spacing_do_not_make_a_body_different(api):
    api.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    reordered = dict(reversed(list(payload().items())))

    response = api.post(URL, reordered, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 200
    assert Deployment.objects.count() == 1


def test_idempotency_keys_of_two_clients_do_not_collide(api):
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('other-ci')}")

    api.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="1")
    response = other.post(
        URL, payload(version="v9"), format="json", HTTP_IDEMPOTENCY_KEY="1"
    )

    assert response.status_code == 201
    assert Deployment.objects.count() == 2


def test_a_key_that_is_too_long_is_a_400_naming_the_header(api):
    response = api.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 201)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


def _post_concurrently(body: dict, *, key: str | None, clients: int = 50):
    token = make_token("pipeline")
    barrier = threading.Barrier(clients)
    # SQLite serialises writers anyway (and its shared in-memory test database
    # refuses concurrent ones outright), so there the requests take turns; on
    # PostgreSQL they truly race, which is what the uniqueness handling is for.
    turn = threading.Lock() if connection.vendor == "sqlite" else None
    codes: list[int] = []
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            with turn or contextlib.nullcontext():
                response = client.post(URL, body, format="json", **headers)
            codes.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return sorted(codes)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("external_id", "key"), [("run-500", None), (None, "key-500")], ids=str
)
def test_fifty_concurrent_identical_posts_record_one_deployment(external_id, key):
    make_service("checkout")

    codes = _post_concurrently(payload(external_id=external_id), key=key)

    assert codes == [200] * 49 + [201]
    assert Deployment.objects.count() == 1
    assert Commit.objects.count() == 10
    assert Commit.objects.values("sha").distinct().count() == 10


def test_a_rollback_to_another_environment_is_refused(api):
    staging = make_deployment(environment="staging")

    response = api.post(URL, payload(rollback_of=staging.pk), format="json")

    assert response.status_code == 400
    assert "staging" in response.json()["error"]["fields"]["rollback_of"][0]
    assert Deployment.objects.count() == 1


def test_a_rollback_of_another_service_is_refused(api):
    other = make_deployment(make_service("search"))

    response = api.post(URL, payload(rollback_of=other.pk), format="json")

    assert response.status_code == 400
    assert "search" in response.json()["error"]["fields"]["rollback_of"][0]


def test_a_rollback_names_what_it_undoes_in_the_record(api):
    bad = make_deployment(make_service("checkout"), version="v1.9")

    response = api.post(URL, payload(rollback_of=bad.pk), format="json")

    assert response.status_code == 201
    assert response.json()["rollback_of"] == bad.pk
    assert list(bad.rollbacks.values_list("version", flat=True)) == ["v2.0.0"]


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("in_progress", "success", True),
        ("in_progress", "failure", True),
        ("in_progress", "rolled_back", True),
        ("success", "rolled_back", True),
        ("success", "in_progress", False),
        ("success", "failure", False),
        ("failure", "success", False),
        ("rolled_back", "success", False),
    ],
)
def test_patch_transitions(api, start, target, allowed):
    deployment = make_deployment(status=start)

    response = api.patch(f"{URL}{deployment.pk}/", {"status": target}, format="json")

    deployment.refresh_from_db()
    if allowed:
        assert response.status_code == 200, response.json()
        assert deployment.status == target
        assert deployment.finished_at is not None
    else:
        assert response.status_code == 422
        message = response.json()["error"]["message"]
        assert f"from {start} to {target}" in message
        assert deployment.status == start


def test_finishing_a_started_deployment_notifies_once_per_status(
    api, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    OutgoingWebhook.objects.create(name="chat", url="https://hooks.example.com/a")
    started = api.post(
        URL, payload(status="in_progress", finished_at=None), format="json"
    ).json()

    with django_capture_on_commit_callbacks() as callbacks:
        api.patch(f"{URL}{started['id']}/", {"status": "success"}, format="json")
        api.patch(f"{URL}{started['id']}/", {"status": "success"}, format="json")

    events = list(
        WebhookDelivery.objects.order_by("id").values_list("event", "dedupe_key")
    )
    assert events == [
        ("deployment.started", f"deployment:{started['id']}:in_progress"),
        ("deployment.finished", f"deployment:{started['id']}:success"),
    ]
    assert len(callbacks) >= 1


def test_the_list_is_paginated_and_filtered(api, viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    make_deployment(make_service("search"), environment="staging")
    wanted = make_deployment(make_service("checkout"), finished_at=at(2025, 5, 3))
    make_deployment(make_service("checkout"), finished_at=at(2025, 4, 1))

    response = client.get(
        URL,
        {
            "service": "checkout",
            "environment": "production",
            "finished_after": "2025-05-01T00:00:00Z",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [d["id"] for d in body["results"]] == [wanted.pk]


def test_the_list_takes_a_fixed_number_of_queries(
    viewer, django_assert_max_num_queries
):
    client = APIClient()
    client.force_authenticate(viewer)
    for n in range(5):
        make_deployment(commits=[(f"{n:07x}", at(2025, 1, 1))])

    # count, page, commits, plus the viewer's groups
    with django_assert_max_num_queries(4):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


def test_an_integration_token_cannot_read_the_list(api):
    response = api.get(URL)

    assert response.status_code == 403


def test_a_pipeline_asks_for_the_previous_successful_deployment(api):
    checkout = make_service("checkout")
    wanted = make_deployment(checkout, commit_sha="abc1234", finished_at=at(2025, 5, 2))
    make_deployment(checkout, finished_at=at(2025, 5, 1))
    make_deployment(checkout, status="failure", finished_at=at(2025, 5, 3))
    make_deployment(checkout, environment="staging", finished_at=at(2025, 5, 4))

    response = api.get(
        f"{URL}previous/", {"service": "checkout", "environment": "production"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "id": wanted.pk,
        "version": wanted.version,
        "commit_sha": "abc1234",
        "finished_at": "2025-05-02T00:00:00Z",
    }


def test_a_rerun_naming_its_own_external_id_is_not_its_own_previous(api):
    checkout = make_service("checkout")
    earlier = make_deployment(checkout, finished_at=at(2025, 5, 1))
    make_deployment(checkout, external_id="run-9", finished_at=at(2025, 5, 2))

    response = api.get(
        f"{URL}previous/",
        {"service": "checkout", "environment": "production", "external_id": "run-9"},
    )

    assert response.status_code == 200
    assert response.json()["id"] == earlier.pk


def test_without_a_previous_deployment_the_answer_is_404(api):
    response = api.get(
        f"{URL}previous/", {"service": "checkout", "environment": "production"}
    )

    assert response.status_code == 404


def test_asking_for_the_previous_deployment_needs_service_and_environment(api):
    response = api.get(f"{URL}previous/", {"service": "checkout"})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"environment"}
