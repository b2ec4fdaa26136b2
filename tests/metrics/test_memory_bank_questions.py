"""An agent that reads only the exported files answers questions about the record with
the same answers as the database."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count, Q

from incidents.models import ActionItem, Deployment, Incident
from incidents.selectors import inferred_cause
from metrics.memory_bank.export import export_memory_bank

from .golden.history import NOW, build_history

WINDOW_END = NOW.replace(hour=0, minute=0) + timedelta(days=1)


# --- an agent's reading of the files: nothing below touches the database -------------


def section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of its level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n") + len(heading) + 1
    end = re.search(rf"^{level} ", text[start:], flags=re.M)
    return text[start : start + end.start()] if end else text[start:]


def table_rows(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if not lines:
        return []  # the file writes "_None._" for an empty table
    headers = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(
            zip(headers, (c.strip() for c in line.strip("|").split(" | ")), strict=True)
        )
        for line in lines[2:]
    ]


def most_incidents_in_90_days(bank: Path) -> str:
    text = (bank / "CLAUDE-incidents.md").read_text()
    rows = table_rows(section(text, "### Incidents per service"))
    return max(rows, key=lambda row: int(row["Incidents (90 d)"]))["Service"]


def change_failure_rate(bank: Path, service: str) -> tuple[int, int]:
    text = (bank / "CLAUDE-metrics.md").read_text()
    rows = table_rows(section(text, "## DORA per service, last 90 days"))
    cell = next(row for row in rows if row["Service"] == service)["Change failure rate"]
    failed, total = re.search(r"\((\d+)/(\d+)\)", cell).groups()
    return int(failed), int(total)


def open_action_items(bank: Path, team: str) -> set[str]:
    text = (bank / "CLAUDE-incidents.md").read_text()
    rows = table_rows(section(text, f"### Team {team}"))
    return {re.sub(r" \(https?://[^)]*\)$", "", row["Action item"]) for row in rows}


# --- the same questions asked of the database -----------------------------------------


def db_most_incidents_in_90_days() -> str:
    rows = (
        Incident.objects.filter(
            is_restricted=False,
            started_at__gte=WINDOW_END - timedelta(days=90),
            started_at__lt=WINDOW_END,
        )
        .values("services__slug")
        .annotate(n=Count("id"))
        .order_by("-n", "services__slug")
    )
    return rows[0]["services__slug"]


def db_change_failure_rate(service: str) -> tuple[int, int]:
    finished = (
        Deployment.objects.production()
        .finished()
        .filter(
            service__slug=service,
            finished_at__gte=WINDOW_END - timedelta(days=90),
            finished_at__lt=WINDOW_END,
        )
    )
    causes = set()
    for incident in Incident.objects.all():
        cause = incident.caused_by or inferred_cause(
            incident, within=settings.INFER_CAUSE_WITHIN
        )
        if cause is not None:
            causes.add(cause.pk)
    failed = finished.filter(
        Q(status__in=["failure", "rolled_back"])
        | Q(rollbacks__isnull=False)
        | Q(pk__in=causes)
    ).distinct()
    return failed.count(), finished.count()


def db_open_action_items(team: str) -> set[str]:
    return set(
        ActionItem.objects.filter(
            status=ActionItem.Status.OPEN,
            postmortem__incident__is_restricted=False,
            postmortem__incident__services__team__slug=team,
        ).values_list("title", flat=True)
    )


@pytest.fixture
def bank(db, tmp_path):
    build_history()
    export_memory_bank(out_dir=tmp_path, now=NOW)
    return tmp_path


def test_the_service_with_the_most_incidents_in_90_days(bank):
    assert most_incidents_in_90_days(bank) == db_most_incidents_in_90_days()
    assert most_incidents_in_90_days(bank) == "checkout"


@pytest.mark.parametrize(
    ("service", "expected"), [("checkout", (2, 6)), ("ledger", (1, 2))]
)
def test_a_services_change_failure_rate(bank, service, expected):
    # checkout: #105 rolled back and #107 failed of #102-#107; ledger: #201 named
    # as the cause of INC-2, of #201 and #202.
    assert change_failure_rate(bank, service) == db_change_failure_rate(service)
    assert change_failure_rate(bank, service) == expected


@pytest.mark.parametrize("team", ["payments", "platform"])
def test_the_open_action_items_of_a_team(bank, team):
    assert open_action_items(bank, team) == db_open_action_items(team)


def test_the_payments_team_has_its_three_open_items(bank):
    assert open_action_items(bank, "payments") == {
        "Split lock-taking migrations from releases",
        "Make the ledger consumer idempotent",
        "Alert on duplicate postings",
    }
