"""The size bound: on a large history each file stays under MEMORY_BANK_MAX_BYTES by
summarising older history, and the summaries still account for all of it.

The incident and infrastructure files grow with history, so they are rendered from a
large bulk-created history. The metrics file grows with the number of services only;
it is rendered for many services with the DORA report of one real window standing in
for each of them, since metrics.dora's queries on SQLite would make this test slow."""

import itertools
import random
import re
from datetime import timedelta
from unittest import mock

import pytest
import yaml

from incidents.models import (
    ActionItem,
    Deployment,
    Incident,
    Postmortem,
    Service,
    Team,
)
from metrics.memory_bank import incidents as incidents_file
from metrics.memory_bank import infrastructure as infrastructure_file
from metrics.memory_bank import metrics as metrics_file
from metrics.memory_bank.context import build_context
from metrics.memory_bank.export import render_files
from tests.factories import at

NOW = at(2025, 6, 1, 12)
SERVICES = 30
DEPLOYMENTS = 20_000
INCIDENTS = 3_000


def build_large_history() -> None:
    rng = random.Random(7)
    teams = Team.objects.bulk_create(
        Team(slug=f"team-{i}", name=f"Team {i}") for i in range(5)
    )
    services = Service.objects.bulk_create(
        Service(
            slug=f"service-{i:02d}",
            name=f"Service {i}",
            team=teams[i % 5],
            repository_url=f"https://git.example.test/service-{i:02d}",
        )
        for i in range(SERVICES)
    )
    span = timedelta(days=3 * 365).total_seconds()
    start = NOW - timedelta(seconds=span)
    deployments = []
    for i in range(DEPLOYMENTS):
        finished = start + timedelta(seconds=rng.random() * span)
        deployments.append(
            Deployment(
                service=services[i % SERVICES],
                environment="production" if i % 4 else "staging",
                version=f"v{i}",
                commit_sha=f"{i:040x}",
                status=rng.choice(["success"] * 8 + ["failure", "rolled_back"]),
                started_at=finished - timedelta(minutes=5),
                finished_at=finished,
                is_hotfix=i % 17 == 0,
            )
        )
    Deployment.objects.bulk_create(deployments, batch_size=2000)

    incidents = Incident.objects.bulk_create(
        (
            Incident(
                title=f"Incident number {i} with a fairly long descriptive title",
                severity=f"SEV{1 + i % 4}",
                status="resolved" if i % 50 else "investigating",
                started_at=(begun := start + timedelta(seconds=rng.random() * span)),
                resolved_at=begun + timedelta(hours=1) if i % 50 else None,
            )
            for i in range(INCIDENTS)
        ),
        batch_size=1000,
    )
    Incident.services.through.objects.bulk_create(
        (
            Incident.services.through(
                incident_id=incident.pk, service_id=services[i % SERVICES].pk
            )
            for i, incident in enumerate(incidents)
        ),
        batch_size=2000,
    )
    postmortems = Postmortem.objects.bulk_create(
        Postmortem(
            incident=incident,
            status="published",
            body="## Summary\n\n" + "A long summary sentence. " * 30,
        )
        for incident in incidents[::2]
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            postmortem=postmortem,
            title=f"Follow-up {i} for the incident with a long title",
            due_date=(NOW + timedelta(days=i % 90 - 45)).date(),
        )
        for i, postmortem in enumerate(postmortems)
    )


def column_sum(text: str, heading: str, column: str) -> int:
    body = text[text.index(heading) :].splitlines()
    first = next(i for i, line in enumerate(body) if line.startswith("|"))
    lines = list(itertools.takewhile(lambda line: line.startswith("|"), body[first:]))
    headers = [c.strip() for c in lines[0].strip("|").split("|")]
    index = headers.index(column)
    rows = []
    for line in lines[2:]:
        rows.append(line.strip("|").split(" | ")[index].strip())
    return sum(int(value) for value in rows)


def front_matter(text: str) -> dict:
    return yaml.safe_load(text[4 : text.index("\n---\n", 4)])


@pytest.fixture
def large_history(db):
    build_large_history()
    return {
        "production": Deployment.objects.production().finished().count(),
        "incidents": Incident.objects.count(),
        "open_items": ActionItem.objects.filter(status="open").count(),
    }


def render_history_files(max_bytes: int | None = None) -> dict[str, str]:
    ctx = build_context(now=NOW, max_bytes=max_bytes)
    return {
        "CLAUDE-infrastructure.md": infrastructure_file.render(ctx),
        "CLAUDE-incidents.md": incidents_file.render(ctx),
    }


def test_history_files_stay_under_the_bound_by_summarising_older_history(
    large_history, settings
):
    rendered = render_history_files()

    for name, text in rendered.items():
        assert len(text.encode()) <= settings.MEMORY_BANK_MAX_BYTES == 100_000, name

    infrastructure = rendered["CLAUDE-infrastructure.md"]
    assert (
        column_sum(infrastructure, "## Production deployment history", "Finished")
        == large_history["production"]
    )
    assert re.search(r"^\| service-00 \| 2023 \|", infrastructure, flags=re.M)

    incidents = rendered["CLAUDE-incidents.md"]
    assert (
        column_sum(incidents, "## Incident history by period", "Total")
        == large_history["incidents"]
    )
    meta = front_matter(incidents)["counts"]
    assert meta["incidents"] == large_history["incidents"]
    assert meta["open_action_items"] == large_history["open_items"]
    assert meta["incidents_listed_in_detail"] < large_history["incidents"]
    assert "more open action items (due later) are not listed" in incidents


def test_a_tighter_bound_is_kept_too(large_history):
    rendered = render_history_files(max_bytes=40_000)

    for name, text in rendered.items():
        assert len(text.encode()) <= 40_000, name
    assert (
        column_sum(
            rendered["CLAUDE-incidents.md"], "## Incident history by period", "Total"
        )
        == large_history["incidents"]
    )


def test_the_metrics_file_for_many_services_drops_detail_to_fit(db, settings):
    Service.objects.bulk_create(
        Service(slug=f"service-{i:03d}", name=f"S{i}") for i in range(400)
    )
    real = metrics_file.dora_report(start=NOW - timedelta(days=30), end=NOW)

    with mock.patch.object(metrics_file, "dora_report", return_value=real):
        text = render_files(now=NOW)["CLAUDE-metrics.md"].decode()

    assert len(text.encode()) <= settings.MEMORY_BANK_MAX_BYTES
    assert "## DORA, all services" in text
    assert "## Weekly trend" in text
