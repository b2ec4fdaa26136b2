"""The database implementation against a plain-Python reference of DESIGN.md's
definitions, on random histories."""

import os
import statistics
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incidents.models import Commit, Deployment, Incident
from metrics.dora import dora_report
from tests.factories import at, make_service

ORIGIN = at(2025, 3, 20)  # a Thursday; histories span the three weeks after it
COMPLETED = {"success", "rolled_back"}
FINISHED = COMPLETED | {"failure"}


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median_mean(values):
    if not values:
        return None, None
    return percentile(values, 0.5), sum(values) / len(values)


def whole_week_mondays(start, end, zone):
    mondays = []
    day = start.astimezone(zone).date() - timedelta(days=7)
    day -= timedelta(days=day.weekday())
    while True:
        begins = datetime.combine(day, time(0), tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=7), time(0), tzinfo=zone)
        if begins >= end:
            return mondays
        if begins >= start and ends <= end:
            mondays.append(day)
        day += timedelta(days=7)


def reference(start, end, service_ids):
    prod = set(settings.PRODUCTION_ENVIRONMENTS)
    zone = ZoneInfo(settings.TIME_ZONE)
    deployments = list(Deployment.objects.all())
    by_id = {d.id: d for d in deployments}
    incidents = list(Incident.objects.prefetch_related("services"))

    def key(d):
        return (d.finished_at, d.id)

    def in_scope(d):
        return service_ids is None or d.service_id in service_ids

    def in_window(instant):
        return start <= instant < end

    completed = [
        d for d in deployments if d.environment in prod and d.status in COMPLETED
    ]

    # Deployment frequency and deploy days.
    shipped = [d for d in completed if in_scope(d) and in_window(d.finished_at)]
    days = {d.finished_at.astimezone(zone).date() for d in shipped}
    mondays = whole_week_mondays(start, end, zone)
    median_days = None
    if shipped and mondays:
        median_days = statistics.median(
            sum(1 for n in range(7) if m + timedelta(days=n) in days) for m in mondays
        )

    # Lead time: the first completed production deployment per (service, sha).
    first = {}
    for commit in Commit.objects.all():
        d = by_id[commit.deployment_id]
        if d.environment in prod and d.status in COMPLETED:
            k = (commit.service_id, commit.sha)
            if k not in first or key(d) < key(first[k][0]):
                first[k] = (d, commit)
    leads = [
        (d.finished_at - c.committed_at).total_seconds()
        for d, c in first.values()
        if in_scope(d) and in_window(d.finished_at)
    ]
    kept = [lead for lead in leads if lead >= 0]

    # Causes, named or inferred.
    caused = defaultdict(list)
    for incident in incidents:
        if incident.caused_by_id:
            caused[incident.caused_by_id].append(incident)
            continue
        services = {s.id for s in incident.services.all()}
        candidates = [
            d
            for d in completed
            if d.service_id in services
            and incident.started_at - settings.INFER_CAUSE_WITHIN
            <= d.finished_at
            <= incident.started_at
        ]
        if candidates:
            caused[max(candidates, key=key).id].append(incident)
    rolled_back = {d.rollback_of_id for d in deployments if d.rollback_of_id != d.id}

    finished = [
        d
        for d in deployments
        if d.environment in prod
        and d.status in FINISHED
        and in_scope(d)
        and in_window(d.finished_at)
    ]
    failed = [
        d
        for d in finished
        if d.status in ("failure", "rolled_back")
        or d.id in rolled_back
        or d.id in caused
    ]
    recoveries, still_open = [], 0
    for d in failed:
        candidates = []
        its = caused.get(d.id, [])
        if its and all(i.resolved_at for i in its):
            candidates.append(max(i.resolved_at for i in its))
        later = [
            n.finished_at
            for n in deployments
            if n.service_id == d.service_id
            and n.environment == d.environment
            and n.status in COMPLETED
            and key(n) > key(d)
        ]
        if later:
            candidates.append(min(later))
        if candidates:
            recovered = max(min(candidates), d.finished_at)
            recoveries.append((recovered - d.finished_at).total_seconds())
        else:
            still_open += 1

    restored = [
        i
        for i in incidents
        if i.resolved_at
        and in_window(i.resolved_at)
        and (service_ids is None or {s.id for s in i.services.all()} & service_ids)
    ]
    rework = [d for d in finished if d.rollback_of_id or d.is_hotfix]
    return {
        "count": len(shipped),
        "median_days": median_days,
        "lead": (percentile(kept, 0.5), percentile(kept, 0.9), len(kept)),
        "negative": len(leads) - len(kept),
        "cfr": (len(failed), len(finished)),
        "recovery": (*median_mean(recoveries), len(recoveries), still_open),
        "restore": (
            *median_mean(
                [(i.resolved_at - i.started_at).total_seconds() for i in restored]
            ),
            len(restored),
        ),
        "rework": len(rework),
    }


def observed(figures):
    lead = figures["lead_time"]
    recovery = figures["failed_deployment_recovery_time"]
    restore = figures["time_to_restore"]
    cfr = figures["change_failure_rate"]
    return {
        "count": figures["deployment_frequency"]["count"],
        "median_days": figures["deployment_frequency"]["deploy_days_per_week_median"],
        "lead": (lead["median_seconds"], lead["p90_seconds"], lead["count"]),
        "negative": lead["excluded_negative"],
        "cfr": (cfr["failed"], cfr["total"]),
        "recovery": (
            recovery["median_seconds"],
            recovery["mean_seconds"],
            recovery["count"],
            recovery["open"],
        ),
        "restore": (
            restore["median_seconds"],
            restore["mean_seconds"],
            restore["count"],
        ),
        "rework": figures["rework_rate"]["count"],
    }


def approx_equal(left, right):
    if isinstance(left, tuple):
        return all(approx_equal(a, b) for a, b in zip(left, right, strict=True))
    if left is None or right is None:
        return left is right
    return left == pytest.approx(right, abs=1e-3)


# Coarse instants (days and quarter days) so that ties and shared weeks are common.
hours = st.builds(
    lambda day, hour: day * 24 + hour,
    st.integers(0, 16),
    st.sampled_from([0, 6, 12, 18]),
)
deployment_st = st.fixed_dictionaries(
    {
        "service": st.integers(0, 2),
        "environment": st.sampled_from(["production", "production", "staging"]),
        "status": st.sampled_from(["success", "success", "failure", "rolled_back"]),
        "hour": hours,
        "rollback_of": st.none() | st.integers(0, 30),
        "is_hotfix": st.booleans(),
        "commits": st.lists(
            st.tuples(st.sampled_from("abcdefgh"), st.integers(-6, 72)), max_size=3
        ),
    }
)
incident_st = st.fixed_dictionaries(
    {
        "services": st.sets(st.integers(0, 2), min_size=1, max_size=2),
        "hour": hours,
        # Often right at a deployment's finish, the inclusive edge of inference.
        "at_deployment": st.none() | st.integers(0, 30),
        # On the hour ties with a deployment's finish, which inference must include.
        "minute": st.sampled_from([0, 7]),
        "minutes_to_resolve": st.none() | st.sampled_from([0, 360, 720, 3000]),
        "minutes_to_detect": st.none() | st.integers(0, 50),
        "minutes_to_acknowledge": st.none() | st.integers(0, 50),
        "caused_by": st.none() | st.integers(0, 30),
    }
)


def build(deployment_specs, incident_specs):
    services = [make_service(slug) for slug in ("alpha", "beta", "gamma")]
    created = []
    for spec in deployment_specs:
        finished = ORIGIN + timedelta(hours=spec["hour"])
        rollback_of = None
        if spec["rollback_of"] is not None and created:
            rollback_of = created[spec["rollback_of"] % len(created)]
        deployment = Deployment.objects.create(
            service=services[spec["service"]],
            environment=spec["environment"],
            status=spec["status"],
            finished_at=finished,
            rollback_of=rollback_of,
            is_hotfix=spec["is_hotfix"],
        )
        Commit.objects.bulk_create(
            Commit(
                deployment=deployment,
                service=deployment.service,
                sha=sha,
                committed_at=finished - timedelta(hours=lead),
            )
            for sha, lead in dict(spec["commits"]).items()
        )
        created.append(deployment)
    for spec in incident_specs:
        started = ORIGIN + timedelta(hours=spec["hour"])
        if spec["at_deployment"] is not None and created:
            started = created[spec["at_deployment"] % len(created)].finished_at
        started += timedelta(minutes=spec["minute"])
        detected = None
        if spec["minutes_to_detect"] is not None:
            detected = started + timedelta(minutes=spec["minutes_to_detect"])
        acknowledged = None
        if spec["minutes_to_acknowledge"] is not None:
            acknowledged = started + timedelta(minutes=spec["minutes_to_acknowledge"])
        resolved = None
        if spec["minutes_to_resolve"] is not None:
            resolved = started + timedelta(minutes=spec["minutes_to_resolve"])
        caused_by = None
        if spec["caused_by"] is not None and created:
            caused_by = created[spec["caused_by"] % len(created)]
        incident = Incident.objects.create(
            title="random",
            severity="SEV3",
            started_at=started,
            detected_at=detected,
            acknowledged_at=acknowledged,
            resolved_at=resolved,
            caused_by=caused_by,
        )
        incident.services.set([services[n] for n in spec["services"]])
    return services


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=int(os.environ.get("DORA_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    deployment_specs=st.lists(deployment_st, max_size=30),
    incident_specs=st.lists(incident_st, max_size=8),
    start_hour=st.integers(0, 16).map(lambda n: n * 6),
    length_hours=st.integers(1, 60).map(lambda n: n * 6),
    scoped=st.booleans(),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
)
def test_the_database_agrees_with_the_reference(
    deployment_specs, incident_specs, start_hour, length_hours, scoped, zone
):
    start = ORIGIN + timedelta(hours=start_hour)
    end = start + timedelta(hours=length_hours)
    # Each example builds its own history and rolls it back.
    with transaction.atomic(), override_settings(TIME_ZONE=zone):
        services = build(deployment_specs, incident_specs)
        service = services[0].slug if scoped else None
        service_ids = {services[0].id} if scoped else None

        figures = dora_report(start=start, end=end, service=service)

        expected = reference(start, end, service_ids)
        transaction.set_rollback(True)

    got = observed(figures)
    for name, value in expected.items():
        assert approx_equal(got[name], value), (name, got[name], value)
