import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_token


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_admin_creates_a_token_and_sees_it_once(admin_user):
    client = client_for(admin_user)

    created = client.post("/api/tokens/", {"name": "github-ci"}, format="json")
    listed = client.get("/api/tokens/")

    assert created.status_code == 201, created.json()
    raw = created.json()["token"]
    assert raw.startswith("hs_")
    assert raw not in listed.content.decode()
    assert ApiToken.objects.get().key_hash == hash_token(raw)


def test_a_created_token_works_and_a_revoked_one_does_not(admin_user):
    admin = client_for(admin_user)
    created = admin.post("/api/tokens/", {"name": "ci"}, format="json").json()
    pipeline = APIClient()
    pipeline.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    body = {"service": "checkout", "environment": "production"}

    before = pipeline.post("/api/deployments/", body, format="json")
    revoked = admin.post(f"/api/tokens/{created['id']}/revoke/")
    after = pipeline.post("/api/deployments/", body, format="json")

    assert before.status_code == 201
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert after.status_code == 401


def test_a_duplicate_token_name_is_a_400(admin_user):
    client = client_for(admin_user)
    client.post("/api/tokens/", {"name": "ci"}, format="json")

    response = client.post("/api/tokens/", {"name": "ci"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("persona", ["viewer", "responder"])
def test_only_admins_manage_tokens(db, request, persona):
    client = client_for(request.getfixturevalue(persona))

    listed = client.get("/api/tokens/")
    created = client.post("/api/tokens/", {"name": "sneaky"}, format="json")

    assert listed.status_code == 403
    assert created.status_code == 403
    assert ApiToken.objects.count() == 0
