"""What the Alertmanager webhook tests share: the fixture payloads and how to post."""

import json
from pathlib import Path

from incidents.models import TimelineEntry

URL = "/api/webhooks/alertmanager/"
PAYLOADS = Path(__file__).parent / "payloads"
ALERT = TimelineEntry.Kind.ALERT


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"alertmanager_{name}.json").read_text())


def firing_with(change) -> dict:
    """The firing fixture, changed in place by ``change``."""
    body = payload("firing")
    change(body)
    return body


def post(api, body):
    return api.post(URL, body, format="json")


def alert_entries(incident):
    return list(
        incident.timeline.filter(kind=ALERT).values_list("data__status", flat=True)
    )
