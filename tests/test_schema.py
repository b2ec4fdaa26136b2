"""A schemathesis run over the API's own OpenAPI schema, through the WSGI app: for
anything a client may send, no server error, and every answer matches the schema
(status code, content type and body). A second run with a viewer's token proves
that no write succeeds without the role for it."""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from accounts.services import create_api_token
from config.wsgi import application
from incidents.models import OutgoingWebhook, WebhookDelivery

from .factories import (
    at,
    make_action_item,
    make_deployment,
    make_incident,
    make_postmortem,
    make_service,
    make_token,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _seed_record() -> dict:
    """A little of everything; detail operations are aimed at these records, since
    ids the fuzzer invents almost never exist."""
    service = make_service("checkout")
    deployment = make_deployment(
        service, status="in_progress", started_at=at(2025, 5, 1, 12)
    )
    incident = make_incident([service], started_at=at(2025, 5, 1, 13))
    postmortem = make_postmortem(incident)
    item = make_action_item(postmortem)
    webhook = OutgoingWebhook.objects.create(
        name="chat", url="https://hooks.example.com/x"
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event="deployment.finished", payload={"text": "x"}
    )
    spare = create_api_token(name="spare")[0]
    return {
        "services": "checkout",
        "deployments": deployment.pk,
        "incidents": incident.pk,
        "postmortems": postmortem.pk,
        "action-items": item.pk,
        "webhook-deliveries": delivery.pk,
        "tokens": spare.pk,
    }


def aim_at_seeded(case, records: dict) -> None:
    resource = case.operation.path.split("/")[2]
    if not case.path_parameters or resource not in records:
        return
    key = "slug" if resource == "services" else "id"
    case.path_parameters[key] = records[resource]


# The coverage phase multiplies the cases per operation well past max_examples; the
# bounded fuzzing phase keeps the whole run within a couple of minutes.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)


def _load_schema():
    # The schema is generated the way /api/schema/ serves it (that URL wants a
    # signed-in person, and no user exists while tests are collected).
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(generated)), config=CONFIG
    )
    loaded.app = application
    return loaded


schema = _load_schema()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # Requests go through the bare WSGI app, which closes a connection that is not
    # in autocommit at the end of each request: in a test that is the connection
    # holding the test's transaction. Django's own test client does the same.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, settings):
    # Notifications are queued but never sent anywhere during the run.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return _seed_record()


@pytest.fixture
def admin_token(seeded):
    return make_token("schema-admin", Role.ADMIN)


@pytest.fixture
def viewer_token(seeded):
    return make_token("schema-viewer", Role.VIEWER)


@schema.parametrize()
@EXAMPLES
def test_no_request_gets_a_server_error_or_breaks_the_schema(case, seeded, admin_token):
    aim_at_seeded(case, seeded)

    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS
    )


@schema.parametrize()
@EXAMPLES
def test_a_viewer_token_changes_nothing(case, seeded, viewer_token):
    aim_at_seeded(case, seeded)

    response = case.call(headers={"Authorization": f"Bearer {viewer_token}"})

    assert response.status_code < 500
    if case.method.upper() in WRITES and not case.path.startswith("/api/webhooks/"):
        assert response.status_code >= 400, (case.method, case.path)


def test_the_schema_served_is_the_one_tested(viewer_client):
    response = viewer_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    served = json.loads(response.content)
    assert sorted(served["paths"]) == sorted(schema.raw_schema["paths"])


def test_the_interactive_docs_are_served_from_hindsight_itself(viewer_client):
    response = viewer_client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
    assert "unpkg" not in page.lower()
