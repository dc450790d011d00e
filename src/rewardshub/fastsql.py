"""The one bulk INSERT writer, with the ORM's own value conversions.

`Rows` writes batch sync's rows, the Sync log, audit events, card batches,
ledger entries and appointments: rows as plain values or as unsaved
instances, each value through its field's own get_db_prep_save, the
statement's text made from `_meta` once per model; `prepare`, `insert` and
`create` are its short forms for instances. One row goes as a plain INSERT;
more by executemany on SQLite, and on PostgreSQL as one multi-row INSERT up
to COPY_FROM rows and by COPY from there (BENCHMARKS.md, "One bulk writer").
`write_ids` also gives the new rows' ids. Statements compiled once from
QuerySets are statement.py's.

Tenant scoping holds here as everywhere: every statement that reads patient data
names the practice in its WHERE clause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from functools import cache, partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.models import Field, Model

from rewardshub import cursors

COPY_FROM = 4  # rows from which Rows.write uses COPY on PostgreSQL ("One bulk writer")


def converter(field: Field, connection: Any) -> Callable[[Any], Any]:  # type: ignore[type-arg]
    """How a field turns a value into the driver's: its own get_db_prep_save.

    Where the field's class keeps Field's get_db_prep_save and get_db_prep_value,
    those only hand a value to get_prep_value (an expression, passed through, is
    no parameter anyway), so that is called directly: derived from the class, not
    from a list of field types (tests/test_bulk_writer.py checks it).
    """
    kind = type(field)
    if (
        kind.get_db_prep_save is Field.get_db_prep_save
        and kind.get_db_prep_value is Field.get_db_prep_value
    ):
        return field.get_prep_value
    return partial(field.get_db_prep_save, connection=connection)


class Rows:
    """New rows of one model, collected and then written in one go (`write`).

    Rows come as plain values (`add`/`row`: the `varying` fields in order, the
    `fixed` values shared by all, every other column its field's default) or
    as unsaved instances (`prepare`, each field's pre_save value: defaults
    and auto_now_add as bulk_create gives them). Either way each value goes
    through its field's own get_db_prep_save (`converter`), so the row is what
    bulk_create would write; a plain value is stored as given, an auto_now
    field's too (give the time). Primary keys are not read back (`create`
    gives one row its id).
    """

    def __init__(
        self,
        model: type[Model],
        fixed: dict[str, Any] | None = None,
        varying: tuple[str, ...] = (),
        *,
        using: str = "default",
    ) -> None:
        self.model, self.using = model, using
        self.fields = _insert_fields(model)
        self.converters = _converters(model, using)
        self.position = _positions(model)
        fixed = fixed or {}
        self.template: list[Any] = []
        for f, convert in zip(self.fields, self.converters, strict=True):
            if f.attname in varying:
                value = None
            elif f.attname in fixed:
                value = convert(fixed[f.attname])
            elif varying or fixed:
                # A per-row default (a new uuid, the time) must come in `varying`.
                assert not (f.has_default() and callable(f.default)), (
                    f"{model.__name__}.{f.attname}"
                )
                value = convert(f.get_default())
            else:
                break  # instances only: no template
            self.template.append(value)
        self.slots = [(self.position[n], self.converters[self.position[n]]) for n in varying]
        self.rows: list[list[Any]] = []

    def row(self, *values: Any) -> list[Any]:
        """One row's parameters, converted (built ahead, outside the write transaction)."""
        row = self.template.copy()
        for (index, convert), value in zip(self.slots, values, strict=True):
            row[index] = convert(value)
        return row

    def add(self, *values: Any) -> None:
        self.rows.append(self.row(*values))

    def write(self) -> int:
        """INSERT the rows collected (and forget them); how many there were."""
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        connection = connections[self.using]
        insert, copy_sql = _insert_sql(self.model, self.using)[:2]
        with cursors.cursor(self.using) as cursor:
            if len(rows) == 1:
                cursor.execute(insert, rows[0])
            elif connection.vendor != "postgresql":
                # SQLite is in-process: one prepared statement run per row costs least.
                cursor.executemany(insert, rows)
            elif len(rows) < COPY_FROM or _pipelined(connection):
                # A few rows: one statement, one round trip (a COPY takes two,
                # and cannot run in a pipeline: together.py).
                cursor.execute(_values(insert, len(rows)), [v for row in rows for v in row])
            else:
                _copy(cursor, copy_sql, rows)
        return len(rows)

    def write_ids(self, key: str) -> list[int]:
        """INSERT the rows collected (and forget them); their primary keys, in order.

        Many rows on PostgreSQL take their ids from the table's sequence, in one
        statement, and go by COPY with them (a read of the ids after the COPY
        cost more: BENCHMARKS.md, "Ids from the sequence"). A few rows (and
        SQLite's) go as INSERT ... RETURNING, in statements of PARAMETERS_MAX
        values at most, each row's id found by its `key`, a field whose values
        differ among the rows (RETURNING promises no order)."""
        rows, self.rows = self.rows, []
        connection = connections[self.using]
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM and not _pipelined(
            connection
        ):
            return self._copy_with_ids(connection, rows)
        at = self.position[key]
        insert = _insert_sql(self.model, self.using)[0]
        quote = connection.ops.quote_name
        pk = self.model._meta.pk
        assert pk is not None
        returning = f" RETURNING {quote(self.fields[at].column)}, {quote(pk.column)}"
        step = max(1, PARAMETERS_MAX // len(self.fields))
        found = {}
        with cursors.cursor(self.using) as cursor:
            for lo in range(0, len(rows), step):
                chunk = rows[lo : lo + step]
                cursor.execute(
                    _values(insert, len(chunk)) + returning, [v for row in chunk for v in row]
                )
                found.update(cursor.fetchall())
        return [found[row[at]] for row in rows]

    def _copy_with_ids(self, connection: Any, rows: list[list[Any]]) -> list[int]:
        pk = self.model._meta.pk
        assert pk is not None
        table, column = self.model._meta.db_table, pk.column
        with cursors.cursor(self.using) as cursor:
            # OFFSET 0 keeps the sequence's lookup out of the per-row loop.
            cursor.execute(
                "SELECT nextval(s.id) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass"
                " AS id OFFSET 0) s, generate_series(1, %s)",
                [connection.ops.quote_name(table), column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            with_ids = [[pk_value, *row] for pk_value, row in zip(ids, rows, strict=True)]
            _copy(cursor, _insert_sql(self.model, self.using)[3], with_ids)
        return ids


# Values a statement of `Rows.write_ids` carries at most (SQLite's own limit is 32,766).
PARAMETERS_MAX = 30_000


def _copy(cursor: Any, sql: str, rows: list[list[Any]]) -> None:
    """COPY: a stream of rows with no statement to parse or plan per row.
    Errors come back as Django's (IntegrityError); counted like any
    statement where queries are logged (tests, DEBUG)."""
    logged = getattr(cursor, "debug_sql", None)
    with (
        logged(sql) if logged else nullcontext(),
        cursor.db.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _pipelined(connection: Any) -> bool:
    """Whether statements are being sent together (together.py) on this connection."""
    return connection.connection is not None and connection.connection._pipeline is not None


def _values(insert: str, count: int) -> str:
    """The one-row INSERT made an INSERT of `count` rows."""
    one = insert[insert.index(" VALUES ") + len(" VALUES ") :]
    return insert + f", {one}" * (count - 1)


def prepare(objs: Iterable[Model], *, using: str = "default") -> Rows:
    """Unsaved instances of one model converted for their INSERT before any transaction:
    a write transaction then holds the write lock only for the INSERT itself."""
    objs = list(objs)
    if not objs:
        return _NoRows()
    rows = Rows(type(objs[0]), using=using)
    rows.rows = [_instance_row(obj, using) for obj in objs]
    return rows


def insert(objs: Iterable[Model], *, using: str = "default") -> int:
    """INSERT unsaved instances of one model in one go, as bulk_create would but
    with their pks unset: for rows nobody reads back (the Sync log, audit events)."""
    return prepare(objs, using=using).write()


_M = TypeVar("_M", bound=Model)


def create(obj: _M, *, using: str = "default") -> _M:
    """INSERT one unsaved instance and give it its primary key, like Model.objects.create."""
    model = type(obj)
    # Both databases the hub runs on return the new id with the INSERT.
    sql = _insert_sql(model, using)[2]
    with cursors.cursor(using) as cursor:
        cursor.execute(sql, _instance_row(obj, using))
        row = cursor.fetchone()
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return obj


class _NoRows(Rows):
    def __init__(self) -> None:
        self.rows = []


def _instance_row(obj: Model, using: str) -> list[Any]:
    return [
        convert(f.pre_save(obj, add=True))
        for f, convert in zip(_insert_fields(type(obj)), _converters(type(obj), using), strict=True)
    ]


@cache
def _insert_fields(model: type[Model]) -> tuple[Field, ...]:  # type: ignore[type-arg]
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)  # type: ignore[misc]


@cache
def _positions(model: type[Model]) -> dict[str, int]:
    return {f.attname: i for i, f in enumerate(_insert_fields(model))}


# Each thread's connection keeps its own converters: the real connection,
# not a proxy, is what get_db_prep_save asks for its ops and features.
_CONVERTERS: WeakKeyDictionary[Any, dict[type[Model], tuple[Callable[[Any], Any], ...]]] = (
    WeakKeyDictionary()
)


def _converters(model: type[Model], using: str) -> tuple[Callable[[Any], Any], ...]:
    connection = connections[using]
    by_model = _CONVERTERS.get(connection)
    if by_model is None:
        by_model = _CONVERTERS[connection] = {}
    found = by_model.get(model)
    if found is None:
        found = by_model[model] = tuple(converter(f, connection) for f in _insert_fields(model))
    return found


@cache
def _insert_sql(model: type[Model], using: str) -> tuple[str, str, str, str]:
    """The model's INSERT, COPY, INSERT ... RETURNING id, and COPY with the id,
    from its `_meta`."""
    quote = connections[using].ops.quote_name
    fields = _insert_fields(model)
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = model._meta.pk
    assert pk is not None
    # Names from the model's own metadata, quoted; every value is a parameter.
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    return (
        insert,
        f"COPY {table} ({names}) FROM STDIN",
        f"{insert} RETURNING {quote(pk.column)}",
        f"COPY {table} ({quote(pk.column)}, {names}) FROM STDIN",
    )
