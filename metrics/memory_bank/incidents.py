"""CLAUDE-incidents.md: open incidents first, then the history with causes and links,
postmortem summaries and lessons, open and overdue action items per team, and the
services and causes that recur."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from incidents.models import Incident, Postmortem
from incidents.selectors import inferred_cause

from . import selectors
from .context import ExportContext
from .history import yearly_and_monthly
from .postmortem_text import summary_sections
from .render import (
    about_section,
    app_link,
    cell,
    clip,
    duration,
    front_matter,
    md_link,
    safe_url,
    table,
)

FILE_NAME = "CLAUDE-incidents.md"
SEVERITIES = list(Incident.Severity.values)
NO_TEAM = "(no team)"


@dataclass(frozen=True)
class Detail:
    open_incidents: int
    history: int
    postmortems: int
    action_items: int
    monthly_months: int


LEVELS = (
    Detail(100, 200, 50, 300, 24),
    Detail(50, 100, 25, 150, 12),
    Detail(30, 50, 15, 80, 6),
    Detail(20, 25, 8, 40, 3),
    Detail(10, 10, 3, 20, 0),
    Detail(5, 0, 0, 10, 0),
)


def render(ctx: ExportContext) -> str:
    data = _gather(ctx)
    for detail in LEVELS:
        text = _render(ctx, data, detail)
        if len(text.encode()) <= ctx.max_bytes:
            break
    return text


def _gather(ctx: ExportContext) -> dict:
    most = LEVELS[0]
    history = selectors.resolved_incidents(limit=most.history)
    open_incidents = selectors.open_incidents(limit=most.open_incidents)
    listed = open_incidents + history
    return {
        "open": open_incidents,
        "history": history,
        "causes": {i.pk: _cause(i) for i in listed},
        "postmortems": {
            p.incident_id: p for p in selectors.postmortems_for([i.pk for i in listed])
        },
        "counts": selectors.incident_counts(),
        "restricted": selectors.restricted_incident_count(),
        "monthly": selectors.monthly_incidents(before=ctx.window_end),
        "per_service": {
            days: selectors.incidents_per_service(
                since=ctx.window_start(days), before=ctx.window_end
            )
            for days in (30, 90, 365)
        },
        "causing": selectors.causing_services(
            since=ctx.window_start(90), before=ctx.window_end
        ),
        "services": selectors.services(),
        "action_items": selectors.open_action_items(limit=most.action_items),
        "action_counts": selectors.open_action_item_counts(today=ctx.today),
    }


def _cause(incident: Incident) -> str | None:
    deployment = incident.caused_by
    how = "named"
    if deployment is None:
        deployment = inferred_cause(incident, within=settings.INFER_CAUSE_WITHIN)
        how = "inferred"
    if deployment is None:
        return None
    label = deployment.version or deployment.commit_sha[:12]
    return f"deployment #{deployment.pk} {deployment.service.slug} {label} ({how})"


def _render(ctx: ExportContext, data: dict, detail: Detail) -> str:
    counts = data["counts"]
    parts = [
        front_matter(
            {
                "schema_version": 1,
                "file": FILE_NAME,
                "title": "Hindsight incident briefing",
                "generated_at": ctx.data_as_of,
                "data_as_of": ctx.data_as_of,
                "window": ctx.window(90),
                "counts": {
                    "incidents": counts["total"],
                    "open_incidents": counts["open"],
                    "restricted_incidents": data["restricted"],
                    "incidents_listed_in_detail": min(
                        counts["open"], detail.open_incidents
                    )
                    + min(len(data["history"]), detail.history),
                    "open_action_items": data["action_counts"]["open"],
                    "overdue_action_items": data["action_counts"]["overdue"],
                },
                "hindsight_url": app_link("/incidents/"),
            }
        ),
        about_section(
            "Incidents",
            [
                "The incident record: what is broken now, what broke before and why, "
                "what was learned, and what is still to do.",
                "Order: open incidents (most severe first, then newest), resolved "
                "incidents newest first, postmortems newest first, action items by due "
                "date then priority, history tables by service then newest period. "
                "Times are ISO 8601 UTC; cite incidents by key (INC-n) and link.",
                f"Restricted incidents: {data['restricted']}. They are counted here "
                "and shown nowhere else in this file.",
                'A cause is the deployment the incident names ("named") or, without '
                "one, the latest production deployment of an affected service in the "
                f"{_hours(settings.INFER_CAUSE_WITHIN)} hours before impact "
                '("inferred").',
            ],
        ),
        _open_section(data, detail),
        _history_section(data, detail),
        _postmortem_section(data, detail),
        _action_item_section(ctx, data, detail),
        _recurring_section(data),
        _summary_section(ctx, data, detail),
    ]
    return "\n".join(parts)


def _hours(delta) -> str:
    return f"{delta.total_seconds() / 3600:g}"


def _services(incident: Incident) -> str:
    return ", ".join(sorted(s.slug for s in incident.services.all()))


def _link(incident: Incident) -> str:
    return md_link(incident.key, incident.get_absolute_url())


def _open_section(data: dict, detail: Detail) -> str:
    shown = data["open"][: detail.open_incidents]
    rows = [
        (
            _link(i),
            i.severity,
            i.status,
            _services(i),
            i.started_at,
            i.detected_at,
            i.acknowledged_at,
            i.mitigated_at,
            data["causes"][i.pk],
            clip(i.title, 150),
        )
        for i in shown
    ]
    text = "## Open incidents\n\n" + table(
        [
            "Key",
            "Severity",
            "Status",
            "Services",
            "Started",
            "Detected",
            "Acknowledged",
            "Mitigated",
            "Cause",
            "Title",
        ],
        rows,
    )
    hidden = data["counts"]["open"] - len(shown)
    if hidden > 0:
        more = app_link("/incidents/")
        text += f"\n{hidden} more open incidents are not listed; see {more}.\n"
    return text


def _history_section(data: dict, detail: Detail) -> str:
    shown = data["history"][: detail.history]
    rows = [
        (
            _link(i),
            i.severity,
            _services(i),
            i.started_at,
            i.resolved_at,
            duration((i.resolved_at - i.started_at).total_seconds())
            if i.resolved_at
            else None,
            data["causes"][i.pk],
            _postmortem_status(data, i),
            clip(i.title, 150),
        )
        for i in shown
    ]
    return (
        "## Resolved incidents\n\n"
        f"The {len(shown)} most recent resolved incidents, newest first. Older ones "
        'are counted in "Incident history by period" below.\n\n'
        + table(
            [
                "Key",
                "Severity",
                "Services",
                "Started",
                "Resolved",
                "Time to restore",
                "Cause",
                "Postmortem",
                "Title",
            ],
            rows,
        )
    )


def _postmortem_status(data: dict, incident: Incident) -> str | None:
    postmortem = data["postmortems"].get(incident.pk)
    return postmortem.status if postmortem else None


def _postmortem_section(data: dict, detail: Detail) -> str:
    listed = data["open"][: detail.open_incidents] + data["history"][: detail.history]
    keys = {i.pk for i in listed}
    postmortems: list[Postmortem] = [
        p for incident_id, p in data["postmortems"].items() if incident_id in keys
    ]
    postmortems.sort(key=lambda p: (p.incident.started_at, p.incident_id), reverse=True)
    blocks = ["## Postmortems\n"]
    if detail.postmortems == 0 or not postmortems:
        blocks.append("_None listed._\n")
    for postmortem in postmortems[: detail.postmortems]:
        incident = postmortem.incident
        blocks.append(
            f"### {incident.key}: {cell(clip(incident.title, 150))}\n\n"
            f"Status: {postmortem.status}; link: "
            f"{app_link(postmortem.get_absolute_url())}\n"
        )
        for heading, text in summary_sections(postmortem.body):
            blocks.append(f"- **{heading}:** {text}")
        blocks.append("")
    return "\n".join(blocks)


def _teams_of(item) -> list[str]:
    teams = {s.team.slug for s in item.postmortem.incident.services.all() if s.team_id}
    return sorted(teams) or [NO_TEAM]


def _action_item_section(ctx: ExportContext, data: dict, detail: Detail) -> str:
    items = data["action_items"][: detail.action_items]
    by_team = defaultdict(list)
    for item in items:
        for team in _teams_of(item):
            by_team[team].append(item)

    counts = data["action_counts"]
    blocks = [
        "## Open action items by team\n",
        f"{counts['open']} open action items, {counts['overdue']} overdue (due before "
        f"{ctx.today.isoformat()}). An item belongs to the teams that own the services "
        "of its incident; items are ordered by due date, then priority.\n",
    ]
    headers = ["Due", "Overdue", "Priority", "Kind", "Action item", "Owner", "Incident"]
    # Every team gets its heading, so that "no items" reads differently from "unknown".
    teams = {s.team.slug for s in data["services"] if s.team_id} | set(by_team)
    for team in sorted(teams, key=lambda t: (t == NO_TEAM, t)):
        rows = [
            (
                item.due_date,
                "yes" if item.due_date and item.due_date < ctx.today else "",
                item.priority,
                item.kind,
                _item_title(item),
                _owner(item),
                md_link(
                    item.postmortem.incident.key,
                    item.postmortem.incident.get_absolute_url(),
                ),
            )
            for item in by_team[team]
        ]
        blocks.append(f"### Team {team}\n\n" + table(headers, rows))
    hidden = counts["open"] - len(items)
    if hidden > 0:
        blocks.append(
            f"{hidden} more open action items (due later) are not listed; see "
            f"{app_link('/postmortems/')}.\n"
        )
    return "\n".join(blocks)


def _item_title(item) -> str:
    tracker = safe_url(item.tracker_url)
    title = clip(item.title, 200)
    return f"{title} ({tracker})" if tracker else title


def _owner(item) -> str | None:
    if item.owner is None:
        return None
    return item.owner.get_full_name() or item.owner.get_username()


def _recurring_section(data: dict) -> str:
    per = data["per_service"]
    teams = {s.slug: (s.team.slug if s.team else None) for s in data["services"]}
    slugs = set(per[365]) | set(per[90]) | set(per[30])
    rows = [
        (
            slug,
            teams.get(slug),
            per[30].get(slug, {}).get("n", 0),
            per[90].get(slug, {}).get("n", 0),
            per[365].get(slug, {}).get("n", 0),
            per[90].get(slug, {}).get("severe", 0),
            per[90].get(slug, {}).get("caused", 0),
        )
        for slug in slugs
    ]
    rows.sort(key=lambda r: (-r[3], -r[4], r[0]))
    causing = [
        (row["caused_by__service__slug"], row["n"], row["last"])
        for row in data["causing"]
    ]
    return (
        "## Recurring services and causes\n\n"
        "### Incidents per service\n\n"
        "Incidents by impact start, per affected service (an incident with two "
        "services counts for both), most incidents in 90 days first.\n\n"
        + table(
            [
                "Service",
                "Team",
                "Incidents (30 d)",
                "Incidents (90 d)",
                "Incidents (365 d)",
                "SEV1-2 (90 d)",
                "Named deployment cause (90 d)",
            ],
            rows,
        )
        + "\n### Services whose deployments caused incidents (90 d, named causes)\n\n"
        + table(["Causing service", "Incidents", "Latest"], causing)
    )


def _summary_section(ctx: ExportContext, data: dict, detail: Detail) -> str:
    grouped = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for row in data["monthly"]:
        key = (row["services__slug"] or "(none)", row["month"])
        grouped[key][row["severity"]] += row["n"]
    rows = [(service, month, counts) for (service, month), counts in grouped.items()]
    periods = yearly_and_monthly(
        rows, fields=SEVERITIES, today=ctx.today, monthly_months=detail.monthly_months
    )
    return (
        "## Incident history by period\n\n"
        f"All visible incidents by affected service and impact start: monthly for the "
        f"last {detail.monthly_months} months, yearly before that.\n\n"
        + table(
            ["Service", "Period", *SEVERITIES, "Total"],
            [(s, period, *counts, sum(counts)) for s, period, counts in periods],
        )
    )
