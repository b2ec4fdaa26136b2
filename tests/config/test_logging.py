import io
import json
import logging

import pytest

from config.logging import JsonFormatter, PlainFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Capture what the console handler would print with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_line_is_one_json_object_with_its_fields(json_lines):
    logging.getLogger("hindsight.test").warning(
        "Deployment %s recorded", 42, extra={"service": "checkout"}
    )

    [line] = json_lines()
    assert line["level"] == "WARNING"
    assert line["logger"] == "hindsight.test"
    assert line["message"] == "Deployment 42 recorded"
    assert line["service"] == "checkout"
    assert line["request_id"] == "-"
    assert line["time"].endswith("Z")


def test_a_newline_in_user_input_cannot_forge_a_second_line(json_lines):
    logging.getLogger("hindsight.test").info(
        "Title: %s", 'x\n{"level": "INFO", "message": "forged"}'
    )

    lines = json_lines()
    assert len(lines) == 1
    assert "forged" in lines[0]["message"]


def test_lines_logged_during_a_request_carry_its_request_id(client, json_lines):
    # A refused scrape logs "Forbidden" through django.request, after the view.
    response = client.get(
        "/prometheus/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="req-77"
    )

    assert response.status_code == 403
    logged = [line for line in json_lines() if line["logger"] == "django.request"]
    assert logged
    assert {line["request_id"] for line in logged} == {"req-77"}


def test_after_the_request_lines_no_longer_carry_its_id(client, json_lines):
    client.get("/prometheus/metrics", REMOTE_ADDR="203.0.113.9")

    logging.getLogger("hindsight.test").info("between requests")

    assert json_lines()[-1]["request_id"] == "-"


def test_plain_lines_escape_newlines_so_input_cannot_forge_a_line():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PlainFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("hindsight.plain")
    logger.addHandler(handler)
    try:
        logger.warning("Deployment %s", "1.0\nINFO accounts.audit login by 'admin'\r")
    finally:
        logger.removeHandler(handler)

    assert stream.getvalue().splitlines() == [
        "WARNING hindsight.plain Deployment 1.0\\nINFO accounts.audit login by "
        "'admin'\\r"
    ]
