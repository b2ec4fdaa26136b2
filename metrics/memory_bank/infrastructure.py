"""CLAUDE-infrastructure.md: the service catalogue, how deployments reach Hindsight,
how each service is deployed and rolled back, monitoring and alert sources, SLOs, and
backups."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from incidents.models import Deployment

from . import selectors
from .context import ExportContext
from .history import yearly_and_monthly
from .render import (
    about_section,
    app_link,
    cell,
    clip,
    front_matter,
    iso,
    md_link,
    number,
    safe_url,
    table,
)

FILE_NAME = "CLAUDE-infrastructure.md"


@dataclass(frozen=True)
class Detail:
    recent_deployments: int
    rollbacks: int
    monthly_months: int


# From the most detailed to the smallest; the first that fits the size bound wins.
LEVELS = (
    Detail(10, 5, 24),
    Detail(5, 3, 12),
    Detail(3, 2, 6),
    Detail(1, 1, 3),
    Detail(0, 0, 0),
)


def render(ctx: ExportContext) -> str:
    data = _gather(ctx)
    for detail in LEVELS:
        text = _render(ctx, data, detail)
        if len(text.encode()) <= ctx.max_bytes:
            break
    return text


def _gather(ctx: ExportContext) -> dict:
    services = selectors.services()
    most = LEVELS[0]
    return {
        "services": services,
        "channels": selectors.deployment_channels(),
        "slos": selectors.slos(),
        "recent": {
            s.pk: selectors.recent_production_deployments(
                s, limit=most.recent_deployments
            )
            for s in services
        },
        "rollbacks": {
            s.pk: selectors.recent_rollbacks(s, limit=most.rollbacks) for s in services
        },
        "monthly": selectors.monthly_deployments(before=ctx.window_end),
        "alert_sources": selectors.incident_source_counts(
            since=ctx.window_start(90), before=ctx.window_end
        ),
        "alert_groups": selectors.alert_group_counts(
            since=ctx.window_start(90), before=ctx.window_end, limit=20
        ),
    }


def _render(ctx: ExportContext, data: dict, detail: Detail) -> str:
    services = data["services"]
    deployments = sum(row["n"] for row in data["channels"])
    parts = [
        front_matter(
            {
                "schema_version": 1,
                "file": FILE_NAME,
                "title": "Hindsight infrastructure briefing",
                "generated_at": ctx.data_as_of,
                "data_as_of": ctx.data_as_of,
                "window": ctx.window(90),
                "counts": {
                    "services": len(services),
                    "slos": len(data["slos"]),
                    "deployments": deployments,
                },
                "detail": {
                    "recent_deployments_per_service": detail.recent_deployments,
                    "monthly_history_months": detail.monthly_months,
                },
                "hindsight_url": app_link("/"),
            }
        ),
        about_section(
            "Infrastructure",
            [
                "What the services are, who owns them, how their deployments reach "
                "Hindsight, how each is deployed and rolled back, and what watches "
                "them.",
                "Generated from the Hindsight record; `data_as_of` is the latest "
                "change in it. Times are ISO 8601 UTC. Services are ordered by slug, "
                "deployments newest first, history tables by service then period.",
                f"Windows end at {iso(ctx.window_end)} (exclusive).",
            ],
        ),
        _catalogue(services, data),
        _ingestion(services, data),
        _deploy_and_rollback(services, data, detail),
        _history(services, data, ctx, detail),
        _monitoring(data),
        _slos(data),
        _backups(),
    ]
    return "\n".join(parts)


def _environments(data: dict) -> dict[int, list[str]]:
    by_service = defaultdict(set)
    for row in data["channels"]:
        by_service[row["service_id"]].add(row["environment"])
    return {pk: sorted(envs) for pk, envs in by_service.items()}


def _catalogue(services, data) -> str:
    environments = _environments(data)
    slos = defaultdict(list)
    for slo in data["slos"]:
        slos[slo.service_id].append(f"{slo.name} {number(slo.target_percent)}%")
    rows = [
        (
            md_link(s.slug, s.get_absolute_url()),
            s.name,
            s.team.slug if s.team else None,
            s.get_tier_display(),
            safe_url(s.repository_url),
            safe_url(s.runbook_url),
            ", ".join(environments.get(s.pk, [])),
            "; ".join(slos.get(s.pk, [])),
        )
        for s in services
    ]
    described = [(s.slug, s.description) for s in services if s.description.strip()]
    text = "## Service catalogue\n\n" + table(
        [
            "Service",
            "Name",
            "Team",
            "Tier",
            "Repository",
            "Runbook",
            "Environments",
            "SLOs",
        ],
        rows,
    )
    if described:
        text += "\n### Service descriptions\n\n" + table(
            ["Service", "Description"], [(slug, clip(d, 300)) for slug, d in described]
        )
    return text


def _ingestion(services, data) -> str:
    slugs = {s.pk: s.slug for s in services}
    rows = [
        (
            slugs.get(row["service_id"]),
            row["environment"],
            Deployment.Source(row["source"]).label
            if row["source"] in Deployment.Source.values
            else row["source"],
            row["n"],
            iso(row["last"]) if row["last"] else None,
        )
        for row in data["channels"]
    ]
    rows.sort(key=lambda r: (r[0] or "", r[1], r[2]))
    production = ", ".join(settings.PRODUCTION_ENVIRONMENTS)
    return (
        "## How deployments reach Hindsight\n\n"
        "Each deployment is recorded once, by its pipeline calling "
        "`POST /api/deployments/` with an integration token (created by an admin "
        "with `manage.py create_api_token NAME`; never stored in these files), by the "
        "GitHub or GitLab deployment webhook, by hand in the admin, or by "
        "`manage.py import_git_history`. A repeat with the same `external_id` is "
        "ignored, so retries are safe. Record one from CI like this:\n\n"
        "```sh\n"
        f"curl -sS -X POST {app_link('/api/deployments/')} \\\n"
        '  -H "Authorization: Bearer $HINDSIGHT_TOKEN" -H "Content-Type: '
        'application/json" \\\n'
        '  -d \'{"service": "SERVICE", "environment": "production", '
        '"version": "v1.2.3", "commit_sha": "SHA", "status": "success", '
        '"started_at": "2025-01-01T10:00:00Z", "finished_at": '
        '"2025-01-01T10:05:00Z", "external_id": "PIPELINE-RUN-ID"}\'\n'
        "```\n\n"
        f"Production environments (the ones metrics count): {production}.\n\n"
        "### Channels seen per service\n\n"
        + table(["Service", "Environment", "Source", "Deployments", "Latest"], rows)
    )


def _deployment_row(d: Deployment) -> tuple:
    undoes = f"#{d.rollback_of_id}" if d.rollback_of_id else None
    return (
        f"#{d.pk}",
        iso(d.finished_at),
        d.version or d.commit_sha[:12],
        d.status,
        "yes" if d.is_hotfix else "",
        undoes,
        d.deployed_by,
    )


def _deploy_and_rollback(services, data, detail: Detail) -> str:
    sections = ["## Deploying and rolling back, per service\n"]
    sections.append(
        "How each service ships, as far as its runbook and its history tell. To roll "
        "back, redeploy the previous good version through the same pipeline and record "
        "it with `rollback_of` set to the deployment it undoes.\n"
    )
    headers = ["Id", "Finished", "Version", "Status", "Hotfix", "Undoes", "By"]
    for service in services:
        recent = data["recent"][service.pk][: detail.recent_deployments]
        rollbacks = data["rollbacks"][service.pk][: detail.rollbacks]
        runbook = safe_url(service.runbook_url) or "none recorded"
        block = [f"### {service.slug}\n", f"Runbook: {runbook}\n"]
        last_good = next(
            (d for d in data["recent"][service.pk] if d.status == "success"), None
        )
        if last_good is not None:
            block.append(
                f"Last successful production deployment: #{last_good.pk} "
                f"{cell(last_good.version or last_good.commit_sha[:12])} at "
                f"{iso(last_good.finished_at)}.\n"
            )
        if detail.recent_deployments:
            block.append(
                f"Recent production deployments (newest first, up to "
                f"{detail.recent_deployments}):\n\n"
                + table(headers, [_deployment_row(d) for d in recent])
            )
        if detail.rollbacks:
            block.append(
                f"Recent rollbacks (up to {detail.rollbacks}):\n\n"
                + table(headers, [_deployment_row(d) for d in rollbacks])
            )
        sections.append("\n".join(block))
    return "\n".join(sections)


def _history(services, data, ctx: ExportContext, detail: Detail) -> str:
    slugs = {s.pk: s.slug for s in services}
    rows = [
        (slugs.get(row["service_id"], "?"), row["month"], row)
        for row in data["monthly"]
    ]
    fields = ["total", "failed", "rolled_back", "rollbacks", "hotfixes"]
    periods = yearly_and_monthly(
        rows, fields=fields, today=ctx.today, monthly_months=detail.monthly_months
    )
    body = table(
        [
            "Service",
            "Period",
            "Finished",
            "Failed",
            "Rolled back",
            "Rollbacks",
            "Hotfixes",
        ],
        [(key, period, *counts) for key, period, counts in periods],
    )
    return (
        "## Production deployment history\n\n"
        f"Finished production deployments per service: by month for the last "
        f'{detail.monthly_months} months, by year before that. "Rollbacks" are '
        'deployments that undo another; "Rolled back" ones were undone.\n\n' + body
    )


def _monitoring(data) -> str:
    sources = table(
        ["Source", "Incidents (90 d)"],
        [(row["source"], row["n"]) for row in data["alert_sources"]],
    )
    groups = table(
        ["Alert group", "Incidents (90 d)", "Latest"],
        [
            (clip(row["alert_group_key"], 120), row["n"], row["last"])
            for row in data["alert_groups"]
        ],
    )
    return (
        "## Monitoring and alert sources\n\n"
        "Alerts reach Hindsight through the Alertmanager webhook (one incident per "
        "alert group, de-duplicated by group key), the incidents API, or a person "
        "declaring an incident.\n\n"
        "### Where incidents came from\n\n" + sources + "\n"
        "### Most frequent alert groups\n\n" + groups
    )


def _slos(data) -> str:
    rows = [
        (
            slo.service.slug,
            slo.name,
            f"{number(slo.target_percent)}%",
            slo.window_days,
            f"{number(slo.freeze_threshold * 100)}%",
        )
        for slo in data["slos"]
    ]
    return "## SLOs\n\n" + table(
        ["Service", "SLO", "Target", "Window (days)", "Freeze at budget used"], rows
    )


def _backups() -> str:
    return (
        "## Backups and restore\n\n"
        "Hindsight's record lives in its database (PostgreSQL in production). Back it "
        "up with `pg_dump --format=custom` on the operator's schedule and restore with "
        "`pg_restore --clean --dbname=...`, then run `manage.py migrate` and "
        "`manage.py export_memory_bank` to rebuild these files. The memory-bank files "
        "themselves need no backup: they are derived and rewritten on every change. "
        "Backups of the services listed above are described in their runbooks.\n"
    )
