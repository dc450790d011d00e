"""Writing many new rows of one table without a model instance each.

Batch sync adds thousands of rows a call (profiles, links, tags, audit
events, the Sync log). Building a model instance per row and compiling ORM
inserts cost more than the database's own work (an AuditEvent's __init__
alone took longer than its INSERT), so rows are kept as plain values,
converted by the models' own fields, and written in one go: executemany on
SQLite (in-process, one prepared statement), COPY on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Field, Model

# Values of these field types go to the driver as they are (what their
# get_db_prep_save returns for the str/int/None a batch holds).
_AS_IS = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "SlugField",
    "TextField",
}


def _converter(f: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a field's value becomes the driver's; None: as it is."""
    kind = f.get_internal_type()
    if kind in _AS_IS:
        return None
    ops = connection.ops
    if kind == "JSONField":
        # What JSONField.get_db_prep_save ends in, for the dicts a batch writes.
        encoder = f.encoder  # type: ignore[attr-defined]
        return lambda value: ops.adapt_json_value(value, encoder)
    if kind == "DateField":
        return ops.adapt_datefield_value
    return lambda value: f.get_db_prep_save(value, connection)


class RowInsert:
    """One table's new rows, collected and then written in one go (`write`).

    `fixed` holds the values every row shares (converted once), `varying`
    names the fields each row gives, in order; every other column gets its
    field's default, as bulk_create would write it.
    """

    def __init__(self, model: type[Model], fixed: dict[str, Any], varying: tuple[str, ...]):
        fields: list[Field[Any, Any]] = [
            f
            for f in model._meta.concrete_fields  # type: ignore[misc]
            if not f.primary_key
        ]
        position = {f.attname: i for i, f in enumerate(fields)}
        self.template: list[Any] = []
        for f in fields:
            if f.attname in varying:
                value = None
            elif f.attname in fixed:
                value = f.get_db_prep_save(fixed[f.attname], connection)
            else:
                # A per-row default (a new uuid, the time) must come in `varying`.
                assert not (f.has_default() and callable(f.default)), (
                    f"{model.__name__}.{f.attname}"
                )
                value = f.get_db_prep_save(f.get_default(), connection)
            self.template.append(value)
        by_name = {f.attname: f for f in fields}
        self.slots = [(position[name], _converter(by_name[name])) for name in varying]
        quote = connection.ops.quote_name
        # Names from the model's own meta, values as parameters: nothing from a request.
        self.head = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in fields)}) VALUES "
        )
        self.marks = f"({', '.join(['%s'] * len(fields))})"
        self.copy = (
            f"COPY {quote(model._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        )
        self.position = position
        self.rows: list[list[Any]] = []

    def row(self, *values: Any) -> list[Any]:
        """One row's parameters, converted (built ahead, outside the write transaction)."""
        row = self.template.copy()
        for (index, convert), value in zip(self.slots, values, strict=True):
            row[index] = value if convert is None else convert(value)
        return row

    def add(self, *values: Any) -> None:
        self.rows.append(self.row(*values))

    def write(self) -> None:
        if not self.rows:
            return
        params = self.rows
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # In-process: one prepared statement run per row costs least.
                cursor.executemany(self.head + self.marks, params)
            else:
                # PostgreSQL: COPY, a stream of rows with no statement to parse
                # per row (psycopg binds client-side) and no planning: several
                # times faster than multi-row INSERTs for the thousands of rows
                # a batch adds. Errors come back as Django's (IntegrityError).
                with connection.wrap_database_errors, cursor.cursor.copy(self.copy) as copy:
                    for row in params:
                        copy.write_row(row)
        self.rows = []
