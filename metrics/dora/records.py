"""The records behind each DORA number, for the pages one click away from it."""

from datetime import datetime

from django.conf import settings

from incidents.models import Commit, Deployment, Incident

from . import display
from .queries import Bucket, DoraQueries
from .report import check_window, resolve_scope
from .sql import parse_stored

LIMIT = 200
KINDS = {
    "deployments": "Deployments counted for deployment frequency",
    "commits": "Slowest commits (lead time for changes)",
    "failures": "Failed deployments and why (change failure rate)",
    "recovery": "Failed deployments and their recovery",
    "incidents": "Incidents and their time to restore",
    "rework": "Rollbacks and hotfixes (rework rate)",
}


def _queries(start, end, service, team) -> DoraQueries:
    check_window(start, end)
    scope = resolve_scope(service=service, team=team)
    return DoraQueries(scope=scope, buckets=[Bucket(0, start, end)])


def deployments(
    *, start: datetime, end: datetime, service=None, team=None, user=None
) -> list:
    scope = _queries(start, end, service, team).scope
    rows = (
        Deployment.objects.production()
        .completed()
        .select_related("service")
        .filter(finished_at__gte=start, finished_at__lt=end)
        .order_by("-finished_at", "-id")
    )
    if scope.service_ids is not None:
        rows = rows.filter(service_id__in=scope.service_ids)
    return list(rows[:LIMIT])


def slowest_commits(
    *, start: datetime, end: datetime, service=None, team=None, user=None
):
    found = _queries(start, end, service, team).slowest_commits(limit=LIMIT)
    commits = Commit.objects.select_related("deployment", "service").in_bulk(
        [commit_id for commit_id, _ in found]
    )
    return [
        {
            "commit": commits[commit_id],
            "lead_seconds": lead,
            "lead": display.duration(lead),
        }
        for commit_id, lead in found
        if commit_id in commits
    ]


def failed_deployments(
    *, start: datetime, end: datetime, service=None, team=None, user=None
):
    """Each failed deployment with the reasons it counts as failed and its recovery.
    An incident ``user`` may not see is named only as "a restricted incident"."""
    queries = _queries(start, end, service, team)
    found = queries.failed_deployments(limit=LIMIT)
    ids = [row[0] for row in found]
    by_id = (
        Deployment.objects.select_related("service")
        .prefetch_related("rollbacks", "caused_incidents")
        .in_bulk(ids)
    )
    inferred = queries.inferred_causes_of(ids)
    inferred_incidents = Incident.objects.in_bulk(
        [pk for pks in inferred.values() for pk in pks]
    )
    named = [i.pk for d in by_id.values() for i in d.caused_incidents.all()]
    hidden = _hidden(user, [*inferred_incidents, *named])
    rows = []
    for deployment_id, _, recovered_at in found:
        deployment = by_id[deployment_id]
        reasons = _reasons(
            deployment,
            [inferred_incidents[pk] for pk in inferred.get(deployment_id, [])],
            hidden,
        )
        recovered = _as_instant(recovered_at)
        seconds = (
            (recovered - deployment.finished_at).total_seconds() if recovered else None
        )
        rows.append(
            {
                "deployment": deployment,
                "reasons": reasons,
                "recovered_at": recovered,
                "recovery_seconds": seconds,
                "recovery": display.duration(seconds),
            }
        )
    return rows


def _hidden(user, incident_ids) -> set[int]:
    """The incidents among ``incident_ids`` that ``user`` may not see. Metrics count
    restricted incidents; the pages behind them must not name them."""
    if user is None or not incident_ids:
        return set()
    visible = Incident.objects.visible_to(user).filter(pk__in=incident_ids)
    return set(incident_ids) - set(visible.values_list("pk", flat=True))


def _reasons(
    deployment: Deployment, inferred: list[Incident], hidden: set[int]
) -> list[dict]:
    reasons = []
    if deployment.status == Deployment.Status.FAILURE:
        reasons.append({"text": "the deployment failed"})
    if deployment.status == Deployment.Status.ROLLED_BACK:
        reasons.append({"text": "its status is rolled back"})
    for rollback in deployment.rollbacks.all():
        if rollback.pk != deployment.pk:
            reasons.append({"text": f"rolled back by deployment #{rollback.pk}"})
    for incident in deployment.caused_incidents.all():
        if incident.pk in hidden:
            reasons.append({"text": "caused a restricted incident"})
            continue
        reasons.append({"text": f"caused {incident.key}", "incident": incident})
    within = display.duration(settings.INFER_CAUSE_WITHIN.total_seconds())
    for incident in inferred:
        if incident.pk in hidden:
            reasons.append({"text": "inferred cause of a restricted incident"})
            continue
        reasons.append(
            {
                "text": f"inferred cause of {incident.key} (the latest production "
                f"deployment of its services within {within} before it began)",
                "incident": incident,
            }
        )
    return reasons


def _as_instant(value) -> datetime | None:
    # SQLite hands back text; PostgreSQL an aware datetime.
    if value is None or isinstance(value, datetime):
        return value
    return parse_stored(value)


def restored_incidents(
    *, start: datetime, end: datetime, service=None, team=None, user=None
):
    found = _queries(start, end, service, team).slowest_restores(limit=LIMIT)
    incidents = (
        Incident.objects.select_related("caused_by__service")
        .prefetch_related("services")
        .in_bulk([pk for pk, _ in found])
    )
    hidden = _hidden(user, list(incidents))
    return [
        {
            # A restricted incident still counts: its row shows only the time.
            "incident": None if pk in hidden else incidents[pk],
            "restore_seconds": seconds,
            "restore": display.duration(seconds),
        }
        for pk, seconds in found
        if pk in incidents
    ]


def rework(
    *, start: datetime, end: datetime, service=None, team=None, user=None
) -> list:
    ids = _queries(start, end, service, team).rework_deployments(limit=LIMIT)
    by_id = Deployment.objects.select_related("service", "rollback_of").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]
