"""The few SQL fragments that differ between PostgreSQL and SQLite.

The DORA queries are written once; only instants-as-seconds, the local calendar date,
interval shifts and the interpolated percentile are spelt per backend. On SQLite the
missing pieces are Python functions registered on every new connection, so the figures
are still aggregated inside the database rather than in a Python loop over rows."""

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db.backends.signals import connection_created
from django.dispatch import receiver


class _PercentileCont:
    """SQLite aggregate ``hindsight_percentile(value, fraction)``: PostgreSQL's
    ``percentile_cont`` (linear interpolation between the closest ranks)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        if value is not None:
            self.values.append(float(value))
            self.fraction = float(fraction)

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def parse_stored(value: str | None) -> datetime | None:
    # Django stores aware instants on SQLite as naive UTC text.
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _epoch(value: str | None) -> float | None:
    parsed = parse_stored(value)
    return None if parsed is None else parsed.timestamp()


def _local_date(value: str | None, zone_name: str) -> str | None:
    parsed = parse_stored(value)
    if parsed is None:
        return None
    return parsed.astimezone(ZoneInfo(zone_name)).date().isoformat()


def register_sqlite_functions(raw_connection) -> None:
    raw_connection.create_function("hindsight_epoch", 1, _epoch, deterministic=True)
    raw_connection.create_function(
        "hindsight_local_date", 2, _local_date, deterministic=True
    )
    raw_connection.create_aggregate("hindsight_percentile", 2, _PercentileCont)


@receiver(connection_created)
def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        register_sqlite_functions(connection.connection)


class Dialect:
    """SQL spelling for one connection."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            # Connections opened before this module was imported missed the signal.
            connection.ensure_connection()
            register_sqlite_functions(connection.connection)

    @property
    def is_postgres(self) -> bool:
        return self.vendor == "postgresql"

    @property
    def materialized(self) -> str:
        # PostgreSQL would otherwise inline a CTE used once and may then evaluate
        # its correlated subquery twice (once in a filter pushed into it).
        return "MATERIALIZED " if self.is_postgres else ""

    def epoch(self, expression: str) -> str:
        if self.is_postgres:
            return f"EXTRACT(EPOCH FROM {expression})::float8"
        return f"hindsight_epoch({expression})"

    def seconds_between(self, later: str, earlier: str) -> str:
        return f"({self.epoch(later)} - {self.epoch(earlier)})"

    def local_date(self, expression: str) -> str:
        """The calendar date of an instant in the zone given as the next parameter."""
        if self.is_postgres:
            return f"(({expression}) AT TIME ZONE %s)::date"
        return f"hindsight_local_date({expression}, %s)"

    def not_before(self, instant: str, reference: str) -> str:
        """``instant >= reference - <seconds>``, the seconds given as a parameter."""
        if self.is_postgres:
            return f"{instant} >= {reference} - make_interval(secs => %s)"
        return f"{self.epoch(instant)} >= {self.epoch(reference)} - %s"

    def percentile(self, expression: str, fraction: float) -> str:
        if self.is_postgres:
            return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {expression})"
        return f"hindsight_percentile({expression}, {fraction})"

    def instant(self, value: datetime):
        """A parameter for comparison with a stored instant."""
        return self.connection.ops.adapt_datetimefield_value(value)
