"""The DORA figures as SQL aggregates, one query per family of figures.

Every query runs over *buckets*: a list of half-open ``[start, end)`` windows joined as
a small VALUES table, so that the report (one bucket) and the weekly trend (one bucket
per week) share the same SQL and the database groups by bucket. Rows are never pulled
into Python; only one row of aggregates per bucket comes back. The row-level CTEs are
also used, with an ORDER BY and a LIMIT, for the records behind each number."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection

from incidents.models import Commit, Deployment, Incident

from .sql import Dialect

DEPLOYMENT = Deployment._meta.db_table
COMMIT = Commit._meta.db_table
INCIDENT = Incident._meta.db_table
INCIDENT_SERVICES = Incident.services.through._meta.db_table

COMPLETED = tuple(str(status) for status in Deployment.COMPLETED_STATUSES)
FINISHED = tuple(str(status) for status in Deployment.FINISHED_STATUSES)
IN_BUCKET = (
    "JOIN buckets ON dep.finished_at >= buckets.s AND dep.finished_at < buckets.e"
)
FAILED_STATUSES = (str(Deployment.Status.FAILURE), str(Deployment.Status.ROLLED_BACK))


@dataclass(frozen=True)
class Bucket:
    index: int
    start: datetime
    end: datetime


@dataclass
class Scope:
    """Which services a figure covers: ``None`` means all of them."""

    service_ids: list[int] | None = None

    @property
    def is_empty(self) -> bool:
        return self.service_ids is not None and not self.service_ids


@dataclass
class _Sql:
    """A statement assembled in order, with its parameters beside it."""

    parts: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)

    def add(self, text: str, *params) -> "_Sql":
        self.parts.append(text)
        self.params.extend(params)
        return self

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


class DoraQueries:
    def __init__(self, *, scope: Scope, buckets: list[Bucket]) -> None:
        self.scope = scope
        self.buckets = buckets
        self.dialect = Dialect(connection)
        self.environments = list(settings.PRODUCTION_ENVIRONMENTS)
        self.within = settings.INFER_CAUSE_WITHIN

    # --- building blocks --------------------------------------------------------------

    def _buckets_cte(self, sql: _Sql) -> None:
        d = self.dialect
        if d.is_postgres:
            row = "(%s::int, %s::timestamptz, %s::timestamptz)"
        else:
            row = "(%s, %s, %s)"
        params = []
        for bucket in self.buckets:
            params += [bucket.index, d.instant(bucket.start), d.instant(bucket.end)]
        rows = ", ".join([row] * len(self.buckets))
        sql.add(f"buckets(idx, s, e) AS (VALUES {rows})", *params)

    def _deployment_filter(self, sql: _Sql, alias: str, statuses) -> None:
        sql.add(
            f"{alias}.environment IN ({_placeholders(self.environments)})",
            *self.environments,
        )
        sql.add(f"AND {alias}.status IN ({_placeholders(statuses)})", *statuses)

    def _service_filter(self, sql: _Sql, column: str) -> None:
        ids = self.scope.service_ids
        if ids is None:
            return
        if not ids:
            sql.add("AND 1 = 0")
            return
        sql.add(f"AND {column} IN ({_placeholders(ids)})", *ids)

    def _run(self, sql: _Sql) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql.text, sql.params)
            return cursor.fetchall()

    @property
    def _span(self) -> tuple[datetime, datetime]:
        return (
            min(bucket.start for bucket in self.buckets),
            max(bucket.end for bucket in self.buckets),
        )

    # --- deployment frequency ---------------------------------------------------------

    def deploy_days(self, zone_name: str) -> list[tuple[int, str, int]]:
        """(bucket, local date, completed deployments that day) per deploy day."""
        d = self.dialect
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        sql.add(
            f"SELECT buckets.idx, {d.local_date('dep.finished_at')} AS day, COUNT(*)",
            zone_name,
        )
        sql.add(f"FROM {DEPLOYMENT} dep")
        sql.add(IN_BUCKET)
        sql.add("WHERE")
        self._deployment_filter(sql, "dep", COMPLETED)
        self._service_filter(sql, "dep.service_id")
        sql.add("GROUP BY buckets.idx, day")
        return [(idx, str(day), count) for idx, day, count in self._run(sql)]

    # --- lead time --------------------------------------------------------------------

    def _first_shipments(self, sql: _Sql) -> None:
        """CTE ``shipments``: each commit (a SHA within a service) whose first
        completed production deployment finished in a bucket, with its lead time."""
        d = self.dialect
        lead = d.seconds_between("dep.finished_at", "c.committed_at")
        sql.add(
            "shipments AS (SELECT buckets.idx AS idx, c.id AS commit_id, "
            f"dep.id AS deployment_id, {lead} AS lead"
        )
        sql.add(f"FROM {COMMIT} c JOIN {DEPLOYMENT} dep ON dep.id = c.deployment_id")
        sql.add(IN_BUCKET)
        sql.add("WHERE")
        self._deployment_filter(sql, "dep", COMPLETED)
        self._service_filter(sql, "dep.service_id")
        self._service_filter(sql, "c.service_id")
        # An earlier completed production deployment of the same service shipped it
        # already; ties on finish time go to the lower id, as everywhere else.
        sql.add(
            f"AND NOT EXISTS (SELECT 1 FROM {COMMIT} c2 "
            f"JOIN {DEPLOYMENT} d2 ON d2.id = c2.deployment_id "
            "WHERE c2.service_id = c.service_id AND c2.sha = c.sha "
            "AND c2.id <> c.id AND"
        )
        self._deployment_filter(sql, "d2", COMPLETED)
        # Redundant with the correlation, but lets the planner narrow the other side.
        self._service_filter(sql, "c2.service_id")
        sql.add(
            "AND d2.finished_at <= dep.finished_at "
            "AND (d2.finished_at < dep.finished_at OR d2.id < dep.id)))"
        )

    def lead_time(self) -> dict[int, tuple]:
        """bucket -> (median, p90, count, excluded_negative)."""
        d = self.dialect
        kept = "CASE WHEN lead >= 0 THEN lead END"
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        sql.add(",")
        self._first_shipments(sql)
        sql.add(
            f"SELECT idx, {d.percentile(kept, 0.5)}, {d.percentile(kept, 0.9)}, "
            "COUNT(CASE WHEN lead >= 0 THEN 1 END), "
            "COUNT(CASE WHEN lead < 0 THEN 1 END)"
        )
        sql.add("FROM shipments GROUP BY idx")
        return {row[0]: row[1:] for row in self._run(sql)}

    def slowest_commits(self, *, limit: int) -> list[tuple[int, float]]:
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        sql.add(",")
        self._first_shipments(sql)
        sql.add("SELECT commit_id, lead FROM shipments ORDER BY lead DESC, commit_id")
        sql.add("LIMIT %s", limit)
        return self._run(sql)

    # --- failures, recovery and rework ------------------------------------------------

    def _finished_deployments(self, sql: _Sql) -> None:
        """CTEs ending in ``finished`` (each finished production deployment in a
        bucket, whether it failed, and the incidents it caused) and ``recovered``."""
        d = self.dialect
        low, high = self._span

        # An incident without a named cause is pinned to the latest completed
        # production deployment of any of its services (all of them, whatever the
        # scope) finished at or before its start and at most INFER_CAUSE_WITHIN
        # before it. Only incidents starting where such a deployment could lie in
        # a bucket need the lookup.
        sql.add(
            f", inferred AS {d.materialized}(SELECT i.id AS incident_id, "
            "i.resolved_at AS resolved_at, "
            f"(SELECT d2.id FROM {INCIDENT_SERVICES} s2 "
            f"JOIN {DEPLOYMENT} d2 ON d2.service_id = s2.service_id "
            "WHERE s2.incident_id = i.id AND"
        )
        self._deployment_filter(sql, "d2", COMPLETED)
        sql.add(
            "AND d2.finished_at <= i.started_at AND "
            + d.not_before("d2.finished_at", "i.started_at"),
            self.within.total_seconds(),
        )
        sql.add("ORDER BY d2.finished_at DESC, d2.id DESC LIMIT 1) AS deployment_id")
        sql.add(
            f"FROM {INCIDENT} i WHERE i.caused_by_id IS NULL "
            "AND i.started_at >= %s AND i.started_at <= %s",
            d.instant(low),
            d.instant(high + self.within),
        )
        if self.scope.service_ids is not None:
            # A cause inside the scope is a deployment of a scoped service, which the
            # incident must then affect; its other services still compete above.
            sql.add(
                f"AND EXISTS (SELECT 1 FROM {INCIDENT_SERVICES} s3 "
                "WHERE s3.incident_id = i.id"
            )
            self._service_filter(sql, "s3.service_id")
            sql.add(")")
        sql.add(")")
        sql.add(
            ", inferred_causes AS (SELECT deployment_id, COUNT(*) AS n, "
            "COUNT(resolved_at) AS n_resolved, MAX(resolved_at) AS last_resolved "
            "FROM inferred WHERE deployment_id IS NOT NULL GROUP BY deployment_id)"
        )
        sql.add(
            ", named_causes AS (SELECT caused_by_id AS deployment_id, COUNT(*) AS n, "
            "COUNT(resolved_at) AS n_resolved, MAX(resolved_at) AS last_resolved "
            f"FROM {INCIDENT} WHERE caused_by_id IS NOT NULL GROUP BY caused_by_id)"
        )

        rolled_back_by_another = (
            f"EXISTS (SELECT 1 FROM {DEPLOYMENT} r "
            "WHERE r.rollback_of_id = dep.id AND r.id <> dep.id)"
        )
        statuses = _placeholders(FAILED_STATUSES)
        sql.add(
            ", finished AS (SELECT buckets.idx AS idx, dep.id AS id, "
            "dep.finished_at AS finished_at, dep.service_id AS service_id, "
            "dep.environment AS environment, "
            "CASE WHEN dep.rollback_of_id IS NOT NULL OR dep.is_hotfix "
            "THEN 1 ELSE 0 END AS rework, "
            f"CASE WHEN dep.status IN ({statuses}) OR {rolled_back_by_another} "
            "OR nc.n IS NOT NULL OR ic.n IS NOT NULL THEN 1 ELSE 0 END AS failed, "
            "COALESCE(nc.n, 0) + COALESCE(ic.n, 0) AS n_causes, "
            "COALESCE(nc.n_resolved, 0) + COALESCE(ic.n_resolved, 0) AS n_resolved, "
            "CASE WHEN nc.last_resolved IS NULL THEN ic.last_resolved "
            "WHEN ic.last_resolved IS NULL THEN nc.last_resolved "
            "WHEN nc.last_resolved >= ic.last_resolved THEN nc.last_resolved "
            "ELSE ic.last_resolved END AS last_resolved",
            *FAILED_STATUSES,
        )
        sql.add(f"FROM {DEPLOYMENT} dep")
        sql.add(IN_BUCKET)
        sql.add("LEFT JOIN named_causes nc ON nc.deployment_id = dep.id")
        sql.add("LEFT JOIN inferred_causes ic ON ic.deployment_id = dep.id")
        sql.add("WHERE")
        self._deployment_filter(sql, "dep", FINISHED)
        self._service_filter(sql, "dep.service_id")
        sql.add(")")

        # Recovery: the earlier of "every incident it caused is resolved" (the last
        # resolution) and the next completed deployment of the same service and
        # environment.
        sql.add(
            f", recovery AS {d.materialized}(SELECT f.id AS id, "
            "f.finished_at AS finished_at, "
            # Incidents resolved before the deployment finished (it caused them
            # while still rolling out) recover it at once, not before it ended:
            # a negative recovery time would read as "elite".
            "CASE WHEN f.n_causes > 0 AND f.n_resolved = f.n_causes "
            "THEN CASE WHEN f.last_resolved < f.finished_at THEN f.finished_at "
            "ELSE f.last_resolved END END AS incidents_resolved_at, "
            f"(SELECT MIN(nx.finished_at) FROM {DEPLOYMENT} nx "
            "WHERE nx.service_id = f.service_id AND nx.environment = f.environment "
            f"AND nx.status IN ({_placeholders(COMPLETED)}) "
            "AND nx.finished_at >= f.finished_at AND nx.id <> f.id "
            "AND (nx.finished_at > f.finished_at OR nx.id > f.id)) AS next_at "
            "FROM finished f WHERE f.failed = 1)",
            *COMPLETED,
        )
        sql.add(
            ", recovered AS (SELECT id, finished_at, CASE "
            "WHEN incidents_resolved_at IS NULL THEN next_at "
            "WHEN next_at IS NULL THEN incidents_resolved_at "
            "WHEN incidents_resolved_at <= next_at THEN incidents_resolved_at "
            "ELSE next_at END AS recovered_at FROM recovery)"
        )

    def failures(self) -> dict[int, tuple]:
        """bucket -> (finished, failed, rework, recovery median, recovery mean,
        recovered, open)."""
        d = self.dialect
        elapsed = d.seconds_between("r.recovered_at", "r.finished_at")
        seconds = f"CASE WHEN r.recovered_at IS NOT NULL THEN {elapsed} END"
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        self._finished_deployments(sql)
        sql.add(
            "SELECT f.idx, COUNT(*), SUM(f.failed), SUM(f.rework), "
            f"{d.percentile(seconds, 0.5)}, AVG({seconds}), COUNT({seconds}), "
            "SUM(CASE WHEN f.failed = 1 AND r.recovered_at IS NULL THEN 1 ELSE 0 END)"
        )
        sql.add("FROM finished f LEFT JOIN recovered r ON r.id = f.id GROUP BY f.idx")
        return {row[0]: row[1:] for row in self._run(sql)}

    def failed_deployments(self, *, limit: int) -> list[tuple]:
        """(id, rolled back by another, caused incidents, recovered at) per failed
        deployment, latest first."""
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        self._finished_deployments(sql)
        sql.add(
            "SELECT f.id, f.n_causes, r.recovered_at FROM finished f "
            "JOIN recovered r ON r.id = f.id "
            "ORDER BY f.finished_at DESC, f.id DESC LIMIT %s",
            limit,
        )
        return self._run(sql)

    def rework_deployments(self, *, limit: int) -> list[int]:
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        self._finished_deployments(sql)
        sql.add(
            "SELECT f.id FROM finished f WHERE f.rework = 1 "
            "ORDER BY f.finished_at DESC, f.id DESC LIMIT %s",
            limit,
        )
        return [row[0] for row in self._run(sql)]

    def inferred_causes_of(self, deployment_ids: list[int]) -> dict[int, list[int]]:
        """deployment -> incidents pinned to it by inference (for the records page)."""
        if not deployment_ids:
            return {}
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        self._finished_deployments(sql)
        sql.add(
            "SELECT deployment_id, incident_id FROM inferred "
            f"WHERE deployment_id IN ({_placeholders(deployment_ids)})",
            *deployment_ids,
        )
        found: dict[int, list[int]] = {}
        for deployment_id, incident_id in self._run(sql):
            found.setdefault(deployment_id, []).append(incident_id)
        return found

    # --- time to restore --------------------------------------------------------------

    def _restored_incidents(self, sql: _Sql) -> None:
        d = self.dialect
        sql.add(
            ", restored AS (SELECT buckets.idx AS idx, i.id AS id, "
            f"{d.seconds_between('i.resolved_at', 'i.started_at')} AS restore, "
            "CASE WHEN i.detected_at IS NOT NULL THEN "
            f"{d.seconds_between('i.detected_at', 'i.started_at')} END AS detect, "
            "CASE WHEN i.detected_at IS NOT NULL "
            "AND i.acknowledged_at IS NOT NULL THEN "
            f"{d.seconds_between('i.acknowledged_at', 'i.detected_at')} END AS ack"
        )
        sql.add(f"FROM {INCIDENT} i")
        sql.add(
            "JOIN buckets ON i.resolved_at >= buckets.s AND i.resolved_at < buckets.e"
        )
        sql.add("WHERE i.resolved_at IS NOT NULL")
        if self.scope.service_ids is not None:
            sql.add(
                f"AND EXISTS (SELECT 1 FROM {INCIDENT_SERVICES} s "
                "WHERE s.incident_id = i.id"
            )
            self._service_filter(sql, "s.service_id")
            sql.add(")")
        sql.add(")")

    def time_to_restore(self) -> dict[int, tuple]:
        """bucket -> (median, mean, count) for restore, detect and acknowledge."""
        d = self.dialect
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        self._restored_incidents(sql)
        figures = []
        for column in ("restore", "detect", "ack"):
            figures += [d.percentile(column, 0.5), f"AVG({column})", f"COUNT({column})"]
        sql.add(f"SELECT idx, {', '.join(figures)} FROM restored GROUP BY idx")
        return {row[0]: row[1:] for row in self._run(sql)}

    def slowest_restores(self, *, limit: int) -> list[tuple[int, float]]:
        sql = _Sql().add("WITH")
        self._buckets_cte(sql)
        self._restored_incidents(sql)
        sql.add("SELECT id, restore FROM restored ORDER BY restore DESC, id LIMIT %s")
        sql.params.append(limit)
        return self._run(sql)
