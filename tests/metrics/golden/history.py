"""A fixed history for the memory-bank tests: three services of two teams, deployments
over six months, incidents of every kind (named and inferred causes, open, restricted,
old), postmortems and action items, with secrets and e-mail addresses planted where
careless people put them. Ids are explicit so that the golden files are the same on
SQLite and PostgreSQL; the export speaks for ``NOW``."""

from datetime import date
from decimal import Decimal

from accounts.models import Role
from incidents.models import (
    ActionItem,
    Deployment,
    Incident,
    Postmortem,
    PostmortemRevision,
    Service,
    TimelineEntry,
)
from metrics.models import SLO, FreezeOverride
from tests.factories import (
    at,
    make_action_item,
    make_deployment,
    make_incident,
    make_note,
    make_postmortem,
    make_service,
    make_team,
    make_user,
)

NOW = at(2025, 6, 1, 12, 30)  # the export speaks for this instant
AS_OF = at(2025, 6, 1, 12, 0)

# Planted secrets: none of these may appear in any exported file.
SECRETS = [
    "ghp_0123456789abcdefABCDEF0123456789abcd",
    "hs_live_token_5f1e2d3c4b5a69788796a5b4",
    "hunter2-db-password",
    "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
    "AKIAABCDEFGHIJKLMNOP",
    "rita.responder@acme.test",
    "oncall-bot@acme.test",
    "dave@personal-mail.test",
    "s3cr3t-webhook-signing-key",
]

POSTMORTEM_BODY = """# Postmortem: INC-1 Checkout errors after release

## Summary

Checkout returned 500s for an hour after release v2.3.0; contact
rita.responder@acme.test for details.

## Impact

Severity SEV2.

## Timeline

| Time | Event |
|---|---|
| 10:30 | Alert fired, token=hs_live_token_5f1e2d3c4b5a69788796a5b4 |

## Contributing factors

The migration locked the orders table; the canary (see
https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX) covered only 1% of traffic.

## Trigger

Release v2.3.0 of checkout.

## Lessons learned

Run lock-taking migrations separately; password=hunter2-db-password must never be
pasted in a postmortem.

## Action items
"""


def build_history() -> dict:
    rita = make_user(
        "rita", Role.RESPONDER, email="rita.responder@acme.test", first_name="Rita"
    )
    dave = make_user("dave@personal-mail.test", Role.ADMIN)
    payments = make_team("payments", name="Payments")
    platform = make_team("platform", name="Platform")

    checkout = make_service(
        "checkout",
        name="Checkout",
        team=payments,
        tier=Service.Tier.TIER_1,
        repository_url="https://github.com/acme/checkout",
        runbook_url="https://wiki.acme.test/runbooks/checkout",
        description="Takes payments. Owner: rita.responder@acme.test",
    )
    ledger = make_service(
        "ledger",
        name="Ledger",
        team=payments,
        tier=Service.Tier.TIER_2,
        repository_url="https://github.com/acme/ledger",
    )
    gateway = make_service(
        "gateway",
        name="Gateway",
        team=platform,
        tier=Service.Tier.TIER_1,
        repository_url="https://deploy:ghp_0123456789abcdefABCDEF0123456789abcd"
        "@github.com/acme/gateway",
        runbook_url="https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
    )
    SLO.objects.create(
        service=checkout, name="Availability", target_percent=Decimal("99.9")
    )
    SLO.objects.create(
        service=gateway,
        name="Latency p99 under 300 ms",
        target_percent=Decimal("99.5"),
        window_days=28,
        freeze_threshold=Decimal("0.75"),
    )

    def deploy(pk, service, finished, **fields):
        return make_deployment(service, id=pk, finished_at=finished, **fields)

    d_old = deploy(101, checkout, at(2024, 12, 1, 10), version="v1.9.0")
    deploy(102, checkout, at(2025, 4, 1, 10), version="v2.1.1", is_hotfix=True)
    deploy(
        103,
        checkout,
        at(2025, 5, 5, 10),
        version="v2.2.0",
        commits=[("c1" * 20, at(2025, 5, 5, 8))],
        deployed_by="oncall-bot@acme.test",
    )
    deploy(
        104,
        checkout,
        at(2025, 5, 12, 10),
        version="v2.2.1",
        commits=[("c2" * 20, at(2025, 5, 11, 10))],
    )
    d_bad = deploy(
        105,
        checkout,
        at(2025, 5, 20, 10),
        version="v2.3.0",
        status=Deployment.Status.ROLLED_BACK,
        commits=[("c3" * 20, at(2025, 5, 20, 9))],
        changelog="Deploy key AKIAABCDEFGHIJKLMNOP",
    )
    deploy(106, checkout, at(2025, 5, 20, 11), version="v2.2.1-r", rollback_of=d_bad)
    deploy(
        107, checkout, at(2025, 5, 26, 10), version="v2.4.0",
        status=Deployment.Status.FAILURE,
    )  # fmt: skip
    deploy(
        108, checkout, at(2025, 5, 25, 10), version="v2.4.0-rc1", environment="staging"
    )
    l_bad = deploy(
        201, ledger, at(2025, 5, 15, 12), version="2025.05.15", source="github"
    )
    deploy(202, ledger, at(2025, 5, 28, 12), version="2025.05.28", source="github")
    deploy(301, gateway, at(2025, 5, 30, 9), version="g-77", deployed_by="dave")

    inc_checkout = make_incident(
        [checkout],
        id=1,
        title="Checkout errors after release",
        severity=Incident.Severity.SEV2,
        started_at=at(2025, 5, 20, 10, 30),
        detected_at=at(2025, 5, 20, 10, 35),
        resolved_at=at(2025, 5, 20, 11, 30),
        commander=rita,
    )
    inc_ledger = make_incident(
        [ledger],
        id=2,
        title="Ledger double-posted entries",
        severity=Incident.Severity.SEV1,
        started_at=at(2025, 5, 16, 8),
        resolved_at=at(2025, 5, 16, 9, 30),
        caused_by=l_bad,
        cause_source=Incident.CauseSource.PERSON,
    )
    make_incident(
        [checkout, gateway],
        id=3,
        title="Slow responses at the edge",
        severity=Incident.Severity.SEV3,
        started_at=at(2025, 5, 31, 22),
        source=Incident.Source.ALERTMANAGER,
        alert_group_key='{}:{alertname="HighLatency"}',
    )
    make_incident(
        [gateway],
        id=4,
        title="Credential leak investigation",
        severity=Incident.Severity.SEV1,
        started_at=at(2025, 5, 10, 3),
        resolved_at=at(2025, 5, 10, 9),
        is_restricted=True,
    )
    make_incident(
        [checkout],
        id=5,
        title="Old outage",
        severity=Incident.Severity.SEV4,
        started_at=at(2025, 1, 10, 14),
        resolved_at=at(2025, 1, 10, 16),
    )
    make_incident(
        [checkout],
        id=6,
        title="Card form did not load for dave@personal-mail.test",
        severity=Incident.Severity.SEV3,
        started_at=at(2025, 4, 15, 9),
        resolved_at=at(2025, 4, 15, 9, 45),
    )
    make_note(inc_checkout, body="Rolled back; key s3cr3t-webhook-signing-key rotated")

    published = make_postmortem(
        inc_checkout,
        body=POSTMORTEM_BODY,
        status=Postmortem.Status.PUBLISHED,
        published_at=at(2025, 5, 22),
    )
    draft = make_postmortem(inc_ledger, body="## Summary\n\nDuplicate consumer.\n")
    make_action_item(
        published,
        title="Split lock-taking migrations from releases",
        due_date=date(2025, 5, 25),
        priority=ActionItem.Priority.P2,
        owner=rita,
        tracker_url="https://tracker.acme.test/browse/PAY-12?token=abc",
    )
    make_action_item(
        published,
        title="Widen the canary",
        status=ActionItem.Status.DONE,
        completed_at=at(2025, 5, 27),
    )
    make_action_item(
        draft,
        title="Make the ledger consumer idempotent",
        due_date=date(2025, 6, 10),
        priority=ActionItem.Priority.P1,
        kind=ActionItem.Kind.MITIGATE,
    )
    make_action_item(
        draft, title="Alert on duplicate postings", kind=ActionItem.Kind.DETECT
    )
    FreezeOverride.objects.create(
        service=gateway,
        reason="Edge fix must ship; approved by dave@personal-mail.test",
        created_by=dave,
        created_at=AS_OF,
        expires_at=at(2025, 6, 2, 12),
    )
    freeze_timestamps()
    return {"services": [checkout, ledger, gateway], "old": d_old}


def freeze_timestamps(moment=AS_OF) -> None:
    """Automatic timestamps come from the clock; pin them so the golden files hold."""
    for model in (Deployment, Incident, Postmortem):
        model.objects.update(created_at=moment, updated_at=moment)
    for model in (
        ActionItem,
        PostmortemRevision,
        TimelineEntry,
        Service,
        SLO,
        FreezeOverride,
    ):
        model.objects.update(created_at=moment)
