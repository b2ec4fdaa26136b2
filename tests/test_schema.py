"""A schemathesis run over the API's own OpenAPI schema, through the WSGI app: for
anything a client may send, no server error, and every answer matches the schema
(status code, content type and body). A second run with a viewer's token proves
that no write succeeds without the role for it."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from config.wsgi import application
from incidents.models import OutgoingWebhook

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


def _seed_record():
    """A little of everything, so that ids the fuzzer tries sometimes exist."""
    service = make_service("checkout")
    deployment = make_deployment(service, finished_at=at(2025, 5, 1, 12))
    incident = make_incident([service], started_at=at(2025, 5, 1, 13))
    postmortem = make_postmortem(incident)
    make_action_item(postmortem)
    OutgoingWebhook.objects.create(name="chat", url="https://hooks.example.com/x")
    return deployment


# Loading the schema reads no table, so it can happen at collection time.
# The coverage phase multiplies the cases per operation well past max_examples; the
# bounded fuzzing phase keeps the whole run within a couple of minutes.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def seeded(db, settings):
    # Notifications are queued but never sent anywhere during the run.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _seed_record()


@pytest.fixture
def admin_token(seeded):
    return make_token("schema-admin", Role.ADMIN)


@pytest.fixture
def viewer_token(seeded):
    return make_token("schema-viewer", Role.VIEWER)


@schema.parametrize()
@EXAMPLES
def test_no_request_gets_a_server_error_or_breaks_the_schema(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS
    )


@schema.parametrize()
@EXAMPLES
def test_a_viewer_token_changes_nothing(case, viewer_token):
    response = case.call(headers={"Authorization": f"Bearer {viewer_token}"})

    assert response.status_code < 500
    if case.method.upper() in WRITES and not case.path.startswith("/api/webhooks/"):
        assert response.status_code >= 400, (case.method, case.path)
