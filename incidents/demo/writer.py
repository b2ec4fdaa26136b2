"""Bulk writing of generated rows, table by table, in batches.

Rows arrive as tuples in a fixed column order. On PostgreSQL a batch goes in with one
COPY per table (several times faster than INSERT for millions of commits); elsewhere
with one executemany INSERT. Both write exactly the values given, so times such as
``created_at`` are the story's own rather than the moment of seeding, and both paths
store the same data.

Rows that other rows point at (deployments, incidents, postmortems) get their ids from
the writer up front, so that a rollback, an incident's cause or an action item can name
its target before anything is written; the sequences are moved past them at the end.
"""

import datetime
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models, transaction


class Table:
    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in columns]
        self.name = model._meta.db_table
        self.columns = [field.column for field in self.fields]
        self.rows: list[tuple] = []


def _copy_text(value) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _copy_formatter(field: models.Field) -> Callable[[object], str]:
    """How one column's values are spelled in COPY's text format."""
    if isinstance(field, models.DateTimeField):
        return lambda v: "\\N" if v is None else v.isoformat()
    if isinstance(field, models.DateField):
        return lambda v: "\\N" if v is None else v.isoformat()
    if isinstance(field, models.BooleanField):
        return lambda v: "t" if v else "f"
    if isinstance(field, models.JSONField):
        return lambda v: _copy_text(json.dumps(v))
    if isinstance(field, models.CharField | models.TextField):
        return lambda v: "\\N" if v is None else _copy_text(v)
    return lambda v: "\\N" if v is None else str(v)


class BatchWriter:
    """Collects rows per table and writes them all in one transaction per flush.

    ``deferred_indexes`` are dropped while a PostgreSQL session writes and built
    again at its end: an index on random keys (commit SHAs) that outgrows the buffer
    cache makes every COPY slower than the last, while one build at the end is
    quick. Unique constraints are never deferred."""

    def __init__(
        self,
        tables: dict[str, Table],
        *,
        id_models: Sequence[type],
        deferred_indexes: Sequence[tuple[type[models.Model], str]] = (),
    ):
        self.tables = tables
        self.use_copy = connection.vendor == "postgresql"
        self._id_models = list(id_models)
        self._next_id = {model: _max_id(model) + 1 for model in self._id_models}
        self._deferred = [
            (model, _index_named(model, name)) for model, name in deferred_indexes
        ]
        self.written = dict.fromkeys(tables, 0)

    @contextmanager
    def session(self) -> Iterator["BatchWriter"]:
        """Write everything added inside; on the way out, even after an error,
        rebuild deferred indexes and move the sequences past the ids handed out."""
        deferred = self._deferred if self.use_copy else []
        if deferred:
            with connection.schema_editor() as editor:
                for model, index in deferred:
                    editor.remove_index(model, index)
        try:
            yield self
            self.flush()
            self._analyze()
        finally:
            if deferred:
                # Inside an outer transaction (tests) PostgreSQL refuses to build an
                # index while deferred foreign-key checks are pending: run them now.
                connection.check_constraints()
                with connection.schema_editor() as editor:
                    for model, index in deferred:
                        editor.add_index(model, index)
            self._reset_sequences()

    def next_id(self, model: type[models.Model]) -> int:
        value = self._next_id[model]
        self._next_id[model] = value + 1
        return value

    def add(self, table: str, row: tuple) -> None:
        self.tables[table].rows.append(row)

    def pending(self, table: str) -> int:
        return len(self.tables[table].rows)

    def flush(self) -> None:
        # Tables are written in declaration order, so targets come before the rows
        # that point at them; each flush is its own transaction to keep PostgreSQL's
        # queue of deferred foreign-key checks small.
        with transaction.atomic():
            for key, table in self.tables.items():
                if not table.rows:
                    continue
                if self.use_copy:
                    self._copy(table)
                else:
                    self._insert(table)
                self.written[key] += len(table.rows)
                table.rows = []

    def _analyze(self) -> None:
        # Bulk-loaded tables have no planner statistics until autovacuum comes by,
        # and until then the metric queries pick plans 30 times slower.
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def _reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), self._id_models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def _copy(self, table: Table) -> None:
        formatters = [_copy_formatter(field) for field in table.fields]
        lines = [
            "\t".join([fmt(v) for fmt, v in zip(formatters, row, strict=True)])
            for row in table.rows
        ]
        data = ("\n".join(lines) + "\n").encode()
        sql = f'COPY "{table.name}" ({", ".join(table.columns)}) FROM STDIN'
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(data)

    def _insert(self, table: Table) -> None:
        fields = table.fields
        rows = [
            [_prep(field, v) for field, v in zip(fields, row, strict=True)]
            for row in table.rows
        ]
        marks = ", ".join(["%s"] * len(fields))
        sql = (
            f'INSERT INTO "{table.name}" ({", ".join(table.columns)}) VALUES ({marks})'
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _prep(field: models.Field, value):
    if value is None:
        return None
    if isinstance(field, models.ForeignKey):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | dict | list | bool):
        return field.get_db_prep_save(value, connection)
    return value


def _index_named(model: type[models.Model], name: str) -> models.Index:
    return next(index for index in model._meta.indexes if index.name == name)


def _max_id(model: type[models.Model]) -> int:
    return model.objects.aggregate(top=models.Max("pk"))["top"] or 0
