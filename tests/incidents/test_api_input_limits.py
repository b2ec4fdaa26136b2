import pytest

from incidents.models import Deployment


def test_json_nested_too_deeply_is_a_400_not_a_500(api):
    body = '{"service": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = api.post("/api/deployments/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize(
    "when", ["2999-12-03T00:00:00Z", "0001-01-01T00:00:00Z", "1989-12-31T23:59:59Z"]
)
def test_an_absurd_time_is_refused_naming_the_field(api, when):
    response = api.post(
        "/api/deployments/",
        {"service": "checkout", "environment": "production", "started_at": when},
        format="json",
    )

    assert response.status_code == 400
    assert "started_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0
