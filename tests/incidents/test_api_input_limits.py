import pytest
from rest_framework.test import APIClient

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


# Each reads as a time, but lies beyond the last (or before the first) instant that
# Python can hold once moved to UTC.
NO_UTC_FORM = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]


@pytest.mark.parametrize("when", NO_UTC_FORM)
def test_a_time_with_no_utc_form_is_refused_naming_the_field(api, when):
    response = api.post(
        "/api/deployments/",
        {"service": "checkout", "environment": "production", "finished_at": when},
        format="json",
    )

    assert response.status_code == 400
    assert "finished_at" in response.json()["error"]["fields"]
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "bound"),
    [
        ("/api/deployments/", "finished_after"),
        ("/api/deployments/", "finished_before"),
        ("/api/incidents/", "started_after"),
        ("/api/incidents/", "started_before"),
    ],
)
@pytest.mark.parametrize("when", NO_UTC_FORM)
def test_a_list_bound_with_no_utc_form_is_a_400_naming_it(viewer, url, bound, when):
    client = APIClient()
    client.force_authenticate(viewer)

    response = client.get(url, {bound: when})

    assert response.status_code == 400
    assert bound in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/action-items/", "incident"),
        ("/api/action-items/", "postmortem"),
        ("/api/postmortems/", "incident"),
        ("/api/incidents/", "caused_by"),
        ("/api/deployments/", "rollback_of"),
    ],
)
@pytest.mark.parametrize(
    "value", ["1000000000000000000000000000000", "-9223372036854775809"]
)
def test_an_id_filter_beyond_64_bits_is_a_400_naming_it(viewer, url, name, value):
    client = APIClient()
    client.force_authenticate(viewer)

    response = client.get(url, {name: value})

    assert response.status_code == 400
    assert name in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("url", "name"),
    [("/api/incidents/", "is_open"), ("/api/deployments/", "is_hotfix")],
)
@pytest.mark.parametrize("value", ["maybe", "2"])
def test_an_unreadable_boolean_filter_is_a_400_not_every_row(viewer, url, name, value):
    client = APIClient()
    client.force_authenticate(viewer)

    response = client.get(url, {name: value})

    assert response.status_code == 400
    assert name in response.json()["error"]["fields"]
