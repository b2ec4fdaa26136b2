"""Incidents of the demo history: their times, timeline, postmortem and action items.

Everything here is written as rows through the batch writer; bodies that come from the
fixed pools are rendered to HTML once and reused, since running Markdown for each of a
hundred thousand incidents would dominate the seeding time."""

import html
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from ..markdown import render_markdown
from ..models import Incident, Postmortem
from . import texts
from .writer import BatchWriter

Status = Incident.Status
Severity = Incident.Severity

# How long after its start an incident may still be open in the demo, and how often.
RECENT_OPEN_WINDOW = timedelta(days=3)
RECENT_OPEN_SHARE = 0.35

_SEVERITY_WEIGHTS = {
    "rollback": ((Severity.SEV1, 25), (Severity.SEV2, 50), (Severity.SEV3, 25)),
    "deployment": ((Severity.SEV2, 15), (Severity.SEV3, 50), (Severity.SEV4, 35)),
    "other": (
        (Severity.SEV1, 5),
        (Severity.SEV2, 20),
        (Severity.SEV3, 45),
        (Severity.SEV4, 30),
    ),
}
_IMPACT_RANGE = {
    Severity.SEV1: (30, 100),
    Severity.SEV2: (10, 50),
    Severity.SEV3: (1, 20),
    Severity.SEV4: (0, 5),
}
_PRIORITY = {
    Severity.SEV1: "P1",
    Severity.SEV2: "P2",
    Severity.SEV3: "P3",
    Severity.SEV4: "P4",
}


@lru_cache(maxsize=4096)
def _pool_html(text: str) -> str:
    return render_markdown(text)


def _plain_html(text: str) -> str:
    # What render_markdown gives for one line without Markdown in it.
    return f"<p>{html.escape(text, quote=False)}</p>"


@dataclass(frozen=True)
class ServiceRef:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Cause:
    deployment_id: int
    label: str
    # True when the link is recorded; False leaves it for the metrics to infer.
    linked: bool


class IncidentStories:
    def __init__(
        self,
        *,
        rng: random.Random,
        writer: BatchWriter,
        now: datetime,
        people: dict[str, int],
    ):
        self.rng = rng
        self.writer = writer
        self.now = now
        self.people = people
        self.count = 0
        self._sev_tables = {
            kind: ([s for s, _ in pairs], [w for _, w in pairs])
            for kind, pairs in _SEVERITY_WEIGHTS.items()
        }

    def incident(
        self,
        *,
        kind: str,
        services: list[ServiceRef],
        started: datetime,
        cause: Cause | None = None,
        mitigated_hint: datetime | None = None,
    ) -> None:
        """One incident, with times truncated at now: what has not happened yet is
        left open, and some recent ones stay open on purpose."""
        rng = self.rng
        incident_id = self.writer.next_id(Incident)
        names, weights = self._sev_tables[kind]
        severity = rng.choices(names, weights)[0]
        title_template, alert = rng.choice(texts.INCIDENT_TITLES)
        title = title_template.format(service=services[0].name)

        times = self._times(started, mitigated_hint)
        stage = self._stage(started, times)
        commander = rng.choice((self.people["alice"], self.people["bob"]))
        source = rng.choices(("alertmanager", "manual", "api"), (50, 35, 15))[0]

        row = self._incident_row(
            incident_id=incident_id,
            title=title,
            severity=severity,
            services=services,
            started=started,
            times=times,
            stage=stage,
            commander=commander,
            source=source,
            alert=alert,
            cause=cause,
        )
        self.writer.add("incident", row)
        for service in services:
            self.writer.add("incident_service", (incident_id, service.id))
        self._timeline(
            incident_id=incident_id,
            title=title,
            severity=severity,
            slug=services[0].slug,
            times=times,
            stage=stage,
            commander=commander,
            source=source,
            alert=alert,
            cause=cause,
        )
        if stage == 3:
            self._postmortem(
                incident_id=incident_id,
                title=title,
                severity=severity,
                service=services[0],
                started=started,
                resolved=times[3],
                commander=commander,
            )
        self.count += 1

    def _times(
        self, started: datetime, mitigated_hint: datetime | None
    ) -> list[datetime]:
        """detected, identified, mitigated, resolved (acknowledged is derived)."""
        rng = self.rng
        detected = started + timedelta(minutes=rng.randint(1, 25))
        identified = detected + timedelta(minutes=rng.randint(3, 50))
        mitigated = identified + timedelta(minutes=rng.randint(5, 150))
        if mitigated_hint is not None:
            mitigated = max(mitigated_hint, identified)
        resolved = mitigated + timedelta(minutes=rng.randint(10, 300))
        return [detected, identified, mitigated, resolved]

    def _stage(self, started: datetime, times: list[datetime]) -> int:
        """0 investigating, 1 identified, 2 monitoring, 3 resolved."""
        reached = sum(1 for when in times[1:] if when <= self.now)
        recent = self.now - started < RECENT_OPEN_WINDOW
        if recent and self.rng.random() < RECENT_OPEN_SHARE:
            reached = min(reached, self.rng.randint(0, 2))
        return reached

    def _incident_row(
        self,
        *,
        incident_id,
        title,
        severity,
        services,
        started,
        times,
        stage,
        commander,
        source,
        alert,
        cause,
    ) -> tuple:
        rng = self.rng
        detected, identified, mitigated, resolved = times
        detected = detected if detected <= self.now else None
        acknowledged = detected + timedelta(minutes=2) if stage >= 1 else None
        low, high = _IMPACT_RANGE[severity]
        impact = Decimal(f"{rng.uniform(low, high):.2f}")
        lead = services[0]
        linked = cause is not None and cause.linked
        communications = None
        if severity in (Severity.SEV1, Severity.SEV2):
            communications = (
                self.people["bob"]
                if commander == self.people["alice"]
                else self.people["alice"]
            )
        summary = ""
        if stage == 3:
            summary = rng.choice(texts.SUMMARIES).format(service=lead.name)
        last_change = times[stage] if stage else (detected or started)
        return (
            incident_id,
            title,
            summary,
            severity,
            (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)[stage]
            if stage < 3
            else Status.RESOLVED,
            started,
            detected,
            acknowledged,
            mitigated if stage >= 2 else None,
            resolved if stage == 3 else None,
            commander,
            communications,
            impact,
            cause.deployment_id if linked else None,
            rng.choice(("person", "api")) if linked else "",
            source,
            f'{{}}:{{alertname="{alert}", service="{lead.slug}"}}'
            if source == "alertmanager"
            else "",
            False,
            commander if source == "manual" else None,
            detected or started,
            last_change,
        )

    def _timeline(
        self,
        *,
        incident_id,
        title,
        severity,
        slug,
        times,
        stage,
        commander,
        source,
        alert,
        cause,
    ) -> None:
        detected, identified, mitigated, resolved = times
        if detected > self.now:
            return
        add = self.writer.add
        username = "alice" if commander == self.people["alice"] else "bob"

        def entry(when, kind, body, data, *, author=commander, tag="", plain=False):
            body_html = _plain_html(body) if plain else _pool_html(body)
            add(
                "timeline",
                (incident_id, when, kind, tag, author, body, body_html, data, when),
            )

        if source == "alertmanager":
            body = f"Alert **{alert}** firing for {slug}"
            data = {"alertname": alert, "status": "firing"}
            entry(detected, "alert", body, data, author=None, tag="detection")
        body = f"Incident declared as {severity}: {title}"
        entry(detected, "status_change", body, {"to": Status.INVESTIGATING})
        if stage == 0:
            return

        acknowledged = detected + timedelta(minutes=2)
        body = f"Acknowledged by {username}"
        entry(acknowledged, "status_change", body, {"acknowledged": True})
        note = self.rng.choice(texts.NOTES)
        entry(acknowledged, "note", note, {}, tag="diagnosis")
        self._status_entry(entry, identified, Status.INVESTIGATING, Status.IDENTIFIED)
        if cause is not None and cause.linked:
            body = f"Cause linked to deployment {cause.label}"
            data = {"field": "caused_by", "from": None, "to": cause.deployment_id}
            entry(identified, "field_change", body, data, plain=True)
        if stage >= 2:
            self._status_entry(entry, mitigated, Status.IDENTIFIED, Status.MONITORING)
        if stage == 3:
            self._status_entry(entry, resolved, Status.MONITORING, Status.RESOLVED)

    @staticmethod
    def _status_entry(entry, when, previous, status) -> None:
        body = f"Status changed: {previous} → {status}"
        entry(when, "status_change", body, {"from": previous, "to": status})

    def _postmortem(
        self, *, incident_id, title, severity, service, started, resolved, commander
    ) -> None:
        rng = self.rng
        wanted = severity in (Severity.SEV1, Severity.SEV2) or (
            severity == Severity.SEV3 and rng.random() < 0.4
        )
        created = resolved + timedelta(hours=rng.randint(1, 48))
        if not wanted or created > self.now:
            return

        published = created + timedelta(days=rng.randint(2, 7))
        if published <= self.now and rng.random() < 0.75:
            status = Postmortem.Status.PUBLISHED
        else:
            published = None
            status = rng.choice((Postmortem.Status.DRAFT, Postmortem.Status.IN_REVIEW))
        updated = published or min(created + timedelta(days=1), self.now)
        sections = self._postmortem_sections(
            title, severity, service, started, resolved
        )
        draft = "\n".join(sections[:2])
        body = "\n".join(sections)
        body_html = "\n".join(_pool_html(section) for section in sections)
        version = 1 if status == Postmortem.Status.DRAFT else 2

        postmortem_id = self.writer.next_id(Postmortem)
        approver = self.people["alice"] if published else None
        self.writer.add(
            "postmortem",
            (
                postmortem_id,
                incident_id,
                status,
                draft if version == 1 else body,
                _pool_html(sections[0]) + "\n" + _pool_html(sections[1])
                if version == 1
                else body_html,
                version,
                commander,
                approver,
                created,
                updated,
                published,
            ),
        )
        self.writer.add(
            "revision", (postmortem_id, 1, draft, commander, "Started", created)
        )
        if version == 2:
            reason = "Filled in after the review meeting"
            self.writer.add(
                "revision", (postmortem_id, 2, body, commander, reason, updated)
            )
        self._action_items(postmortem_id, severity, service, created)

    def _postmortem_sections(self, title, severity, service, started, resolved):
        rng = self.rng
        minutes = (resolved - started).total_seconds() / 60
        duration = "under an hour" if minutes < 60 else "several hours"
        name = service.name
        return [
            f"# Postmortem: {title}\n",
            "## Summary\n\n" + rng.choice(texts.SUMMARIES).format(service=name) + "\n",
            f"## Impact\n\n{severity} on {name} for {duration}.\n",
            "## Root cause\n\n"
            + rng.choice(texts.ROOT_CAUSES).format(service=name)
            + "\n",
            "## Lessons learned\n\n" + rng.choice(texts.LESSONS) + "\n",
        ]

    def _action_items(self, postmortem_id, severity, service, created) -> None:
        rng = self.rng
        today = self.now.date()
        owners = (self.people["alice"], self.people["bob"], None)
        for number in range(rng.randint(1, 4)):
            kind = rng.choice(tuple(texts.ACTION_ITEMS))
            title = rng.choice(texts.ACTION_ITEMS[kind]).format(service=service.name)
            due = (created + timedelta(days=rng.randint(7, 60))).date()
            weights = (20, 70, 10) if due < today else (80, 20, 0)
            status = rng.choices(("open", "done", "wont_do"), weights)[0]
            completed = None
            if status != "open":
                completed = min(created + timedelta(days=rng.randint(1, 30)), self.now)
            self.writer.add(
                "action_item",
                (
                    postmortem_id,
                    title,
                    kind,
                    rng.choice(owners),
                    due,
                    _PRIORITY[severity],
                    status,
                    f"https://tracker.example.com/OPS-{postmortem_id}-{number + 1}",
                    created,
                    completed,
                ),
            )
