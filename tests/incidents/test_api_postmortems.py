import pytest
from rest_framework.test import APIClient

from incidents.models import ActionItem, Postmortem

from ..factories import make_action_item, make_incident, make_postmortem

URL = "/api/postmortems/"


@pytest.fixture
def responder_api(responder):
    client = APIClient()
    client.force_authenticate(responder)
    return client


def test_posting_a_postmortem_returns_it_with_an_etag(responder_api):
    incident = make_incident()

    response = responder_api.post(
        URL, {"incident": incident.pk, "body": "# What happened\n<script>x"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == '"1"'
    assert body["version"] == 1
    assert body["status"] == "draft"
    assert body["incident_key"] == incident.key
    assert "<h1" in body["body_html"]
    assert "<script" not in body["body_html"]
    assert Postmortem.objects.get().incident == incident


def test_without_a_body_the_template_is_used(responder_api):
    incident = make_incident(title="Payments down")

    response = responder_api.post(URL, {"incident": incident.pk})

    assert response.status_code == 201
    assert response.json()["body"].strip()


def test_a_second_postmortem_for_an_incident_is_refused(responder_api):
    incident = make_incident()
    make_postmortem(incident)

    response = responder_api.post(URL, {"incident": incident.pk, "body": "x"})

    assert response.status_code == 400
    assert "incident" in response.json()["error"]["fields"]
    assert Postmortem.objects.count() == 1


def test_get_sends_the_etag_of_the_current_version(responder_api):
    postmortem = make_postmortem(make_incident(), version=4)

    response = responder_api.get(f"{URL}{postmortem.pk}/")

    assert response.status_code == 200
    assert response["ETag"] == '"4"'


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_write_without_if_match_is_428(responder_api, method):
    postmortem = make_postmortem(make_incident(), body="old")

    response = getattr(responder_api, method)(f"{URL}{postmortem.pk}/", {"body": "new"})

    assert response.status_code == 428
    assert "If-Match" in response.json()["error"]["message"]
    postmortem.refresh_from_db()
    assert postmortem.body == "old"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_write_with_the_current_etag_saves_a_new_version(responder_api, method):
    postmortem = make_postmortem(make_incident(), body="old")
    etag = responder_api.get(f"{URL}{postmortem.pk}/")["ETag"]

    response = getattr(responder_api, method)(
        f"{URL}{postmortem.pk}/", {"body": "new"}, HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert response.json()["body"] == "new"
    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.version) == ("new", 2)
    assert postmortem.revisions.get(version=2).body == "new"


def test_a_write_with_a_stale_etag_is_412_and_changes_nothing(responder_api):
    postmortem = make_postmortem(make_incident(), body="old")
    etag = responder_api.get(f"{URL}{postmortem.pk}/")["ETag"]
    responder_api.patch(f"{URL}{postmortem.pk}/", {"body": "mine"}, HTTP_IF_MATCH=etag)

    response = responder_api.patch(
        f"{URL}{postmortem.pk}/", {"body": "theirs"}, HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert "version 2" in response.json()["error"]["message"]
    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.version) == ("mine", 2)


def test_an_unreadable_if_match_is_412(responder_api):
    postmortem = make_postmortem(make_incident())

    response = responder_api.patch(
        f"{URL}{postmortem.pk}/", {"body": "x"}, HTTP_IF_MATCH="banana"
    )

    assert response.status_code == 412


def test_a_viewer_cannot_edit_a_postmortem(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    postmortem = make_postmortem(make_incident(), body="old")

    response = client.patch(
        f"{URL}{postmortem.pk}/", {"body": "new"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 403


def test_action_items_are_created_and_closed(responder_api, responder):
    postmortem = make_postmortem(make_incident())

    created = responder_api.post(
        "/api/action-items/",
        {
            "postmortem": postmortem.pk,
            "title": "Alert on checkout error rate",
            "kind": "detect",
            "owner": responder.username,
            "due_date": "2025-06-01",
        },
    )
    closed = responder_api.patch(
        f"/api/action-items/{created.json()['id']}/", {"status": "done"}
    )

    assert created.status_code == 201, created.json()
    assert closed.status_code == 200, closed.json()
    assert closed.json()["completed_at"] is not None
    item = ActionItem.objects.get()
    assert (item.owner, item.status, item.kind) == (responder, "done", "detect")


@pytest.mark.parametrize("due_date", ["0001-01-01", "1989-12-31", "2101-01-01"])
def test_an_action_item_due_outside_1990_to_2100_is_refused(responder_api, due_date):
    postmortem = make_postmortem(make_incident())

    response = responder_api.post(
        "/api/action-items/",
        {"postmortem": postmortem.pk, "title": "Canary", "due_date": due_date},
    )

    assert response.status_code == 400
    assert "due_date" in response.json()["error"]["fields"]
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize("url", ["ftp://files.example/T-1", "javascript:alert(1)"])
def test_an_action_item_tracker_url_is_an_http_address(responder_api, url):
    postmortem = make_postmortem(make_incident())

    response = responder_api.post(
        "/api/action-items/",
        {"postmortem": postmortem.pk, "title": "Canary", "tracker_url": url},
    )

    assert response.status_code == 400
    assert "tracker_url" in response.json()["error"]["fields"]
    assert not ActionItem.objects.exists()


def test_an_action_item_cannot_move_to_another_postmortem(responder_api):
    item = make_action_item(make_postmortem(make_incident()))
    other = make_postmortem(make_incident())

    response = responder_api.patch(
        f"/api/action-items/{item.pk}/", {"postmortem": other.pk}
    )

    assert response.status_code == 400
    assert "postmortem" in response.json()["error"]["fields"]


def test_action_items_are_filtered_by_status_and_owner(responder_api, responder):
    postmortem = make_postmortem(make_incident())
    wanted = make_action_item(postmortem, owner=responder)
    make_action_item(postmortem, owner=responder, status="done")
    make_action_item(postmortem)

    response = responder_api.get(
        "/api/action-items/", {"status": "open", "owner": responder.username}
    )

    assert response.status_code == 200
    assert [i["id"] for i in response.json()["results"]] == [wanted.pk]


def test_action_items_are_filtered_by_incident(responder_api):
    incident = make_incident()
    wanted = make_action_item(make_postmortem(incident))
    make_action_item(make_postmortem(make_incident()))

    response = responder_api.get("/api/action-items/", {"incident": incident.pk})

    assert response.status_code == 200
    assert [i["id"] for i in response.json()["results"]] == [wanted.pk]


def test_postmortems_of_restricted_incidents_stay_hidden(responder_api):
    hidden = make_postmortem(make_incident(is_restricted=True))
    make_action_item(hidden)

    listed = responder_api.get(URL)
    detail = responder_api.get(f"{URL}{hidden.pk}/")
    items = responder_api.get("/api/action-items/")
    started = responder_api.post(
        URL, {"incident": make_incident(is_restricted=True).pk, "body": "x"}
    )

    assert listed.json()["count"] == 0
    assert detail.status_code == 404
    assert items.json()["count"] == 0
    assert started.status_code == 400
    assert "incident" in started.json()["error"]["fields"]
