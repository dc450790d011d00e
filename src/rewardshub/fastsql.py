"""Statements for the hottest paths compiled once, with the ORM's own value conversions.

The ORM compiles every query anew: a one-row SELECT with a join costs about
1.8 ms of Python before SQLite sees it, and runs in 20 µs. The statements
every PMS call and page view makes are therefore compiled once here and run
with the fields' own conversions in both directions, so what comes back is
what the ORM would have given.

`Statement` is a QuerySet compiled by the ORM once per database, run again
with each call's values. No table or column name is typed; the QuerySet is
the statement. Use one only where the compile is measured to matter
(BENCHMARKS.md, "SQL from the models"), and test its rows against the plain
QuerySet's (tests/test_cached_statements.py).

`Rows` is the one bulk INSERT writer (batch sync, the Sync log, audit
events, card batches): rows as plain values or as unsaved instances, each
value through its field's own get_db_prep_save, the statement's text made
from `_meta` once per model; `prepare`, `insert` and `create` are its short
forms for instances. One row goes as a plain INSERT, more by executemany on
SQLite and COPY on PostgreSQL (BENCHMARKS.md, "One bulk writer").

Tenant scoping holds here as everywhere: every statement that reads patient data
names the practice in its WHERE clause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections
from django.db.models import Field, Model

Converter = Callable[[Any, Any, Any], Any]

COPY_FROM = 2  # rows from which Rows.write uses COPY on PostgreSQL ("One bulk writer")


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
        insert, copy_sql, _ = _insert_sql(self.model, self.using)
        with connection.cursor() as cursor:
            if len(rows) == 1:
                cursor.execute(insert, rows[0])
            elif connection.vendor != "postgresql" or len(rows) < COPY_FROM:
                # SQLite is in-process: one prepared statement run per row costs least.
                cursor.executemany(insert, rows)
            else:
                # COPY: a stream of rows with no statement to parse or plan per
                # row. Errors come back as Django's (IntegrityError); counted
                # like any statement where queries are logged (tests, DEBUG).
                logged = getattr(cursor, "debug_sql", None)
                with (
                    logged(copy_sql) if logged else nullcontext(),
                    connection.wrap_database_errors,
                    cursor.cursor.copy(copy_sql) as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
        return len(rows)


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
    connection = connections[using]
    # Both databases the hub runs on return the new id with the INSERT.
    sql = _insert_sql(model, using)[2]
    with connection.cursor() as cursor:
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
def _insert_sql(model: type[Model], using: str) -> tuple[str, str, str]:
    """The model's INSERT, COPY and INSERT ... RETURNING id, from its `_meta`."""
    quote = connections[using].ops.quote_name
    fields = _insert_fields(model)
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = model._meta.pk
    assert pk is not None
    # Names from the model's own metadata, quoted; every value is a parameter.
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    return insert, f"COPY {table} ({names}) FROM STDIN", f"{insert} RETURNING {quote(pk.column)}"


# Each argument of a Statement is compiled as a marker value of its type; where
# the markers land in the parameters is where later calls put their values.
_MARKERS: dict[type, Callable[[int], Any]] = {
    int: lambda i: -7_340_033_000_000 - i,
    str: lambda i: f"\x00rewardshub-argument-{i}",
}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, argument index, the type the compiler gave the value:
    # psycopg's Int4 where PostgreSQL must be told an integer's size)
    slots: tuple[tuple[int, int, type], ...]
    converters: dict[int, tuple[list[Converter], Any]]
    model: type[Model] | None  # rows are this model's instances
    names: tuple[str, ...]  # their attribute names, in column order
    annotations: tuple[tuple[str, int], ...]  # set on each instance: (name, column)
    # select_related: the ORM's own builders of the related instances (ModelIterable's).
    populators: tuple[Any, ...] = ()

    def bind(self, args: Sequence[Any]) -> list[Any]:
        params = list(self.params)
        for position, index, kind in self.slots:
            value = args[index]
            params[position] = value if type(value) is kind or value is None else kind(value)
        return params


class Statement:
    """A SELECT or UPDATE from a QuerySet, compiled once per database and cached.

    `build(*args)` makes the QuerySet; `kinds` gives each argument's type (int
    or str), which must be what the field keeps unchanged for the database (a
    primary key, a foreign key id, a text value). `kind` says what the
    statement is: "rows" (values_list tuples, converted as the ORM converts
    them), "models" (instances of the QuerySet's model, with its select_related
    ones), or "update" with `update={field: expression}` for QuerySet.update.
    Only arguments are parameters: values built into the QuerySet (a LIMIT, a
    constant filter) are fixed at the first compile. An argument is never None
    (the ORM would compile `IS NULL` for it); select_for_update needs a transaction.
    """

    def __init__(
        self,
        build: Callable[..., Any],
        *kinds: type,
        kind: str = "rows",
        update: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        assert kind in ("rows", "models", "update")
        assert (kind == "update") == (update is not None)
        self.build = build
        self.kinds = kinds
        self.kind = kind
        self.update = update
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, using: str) -> _Compiled:
        found = self._compiled.get(using)
        if found is None:
            found = self._compiled[using] = self._compile(using)
        return found

    def _compile(self, using: str) -> _Compiled:
        from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
        from django.db.models.sql.subqueries import UpdateQuery

        markers = [_MARKERS[kind](i) for i, kind in enumerate(self.kinds)]
        queryset = self.build(*markers).using(using)
        populators: tuple[Any, ...] = ()
        if self.update is not None:
            query = queryset.query.chain(UpdateQuery)
            query.add_update_fields(
                [
                    (queryset.model._meta.get_field(name), None, value)
                    for name, value in self.update(*markers).items()
                ]
            )
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            converters: dict[int, tuple[list[Converter], Any]] = {}
            model, names, annotations = None, (), ()
        else:
            compiler = queryset.query.get_compiler(using)
            sql, params = compiler.as_sql()
            columns = [s[0] for s in compiler.select[: compiler.col_count]]
            converters = compiler.get_converters(columns)
            model, names, annotations = None, (), ()
            if self.kind == "models":
                # The model's own columns first, then its annotations and its
                # select_related models' columns.
                klass_info = compiler.klass_info
                select_fields = klass_info["select_fields"]
                assert select_fields == list(range(len(select_fields))), "model columns first"
                model = klass_info["model"]
                names = tuple(columns[i].target.attname for i in select_fields)
                annotations = tuple(compiler.annotation_col_map.items())
                populators = tuple(get_related_populators(klass_info, compiler.select, using))
                if not populators:
                    assert len(names) + len(annotations) == len(columns), "plain model rows only"
        slots = tuple(
            (position, markers.index(value), type(value))
            for position, value in enumerate(params)
            if any(value == m and isinstance(value, type(m)) for m in markers)
        )
        missing = set(range(len(markers))) - {index for _, index, _ in slots}
        assert not missing, f"arguments {sorted(missing)} are not parameters of {sql}"
        return _Compiled(
            sql, tuple(params), slots, converters, model, names, annotations, populators
        )

    def _execute(self, args: Sequence[Any], using: str) -> tuple[_Compiled, Any]:
        compiled = self.compiled(using)
        return compiled, compiled.bind(args)

    def rows(self, *args: Any, using: str = "default") -> list[Any]:
        """The rows: tuples, or model instances for kind="models"."""
        assert self.kind != "update"
        compiled, params = self._execute(args, using)
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            raw = cursor.fetchall()
        out: list[Any] = []
        converters = compiled.converters.items()
        for row in raw:
            if converters:
                values = list(row)
                for index, (funcs, expression) in converters:
                    for func in funcs:
                        values[index] = func(values[index], expression, connection)
                row = tuple(values)
            if compiled.model is not None:
                instance = compiled.model.from_db(using, compiled.names, row[: len(compiled.names)])
                for populator in compiled.populators:
                    populator.populate(row, instance)
                for name, column in compiled.annotations:
                    setattr(instance, name, row[column])
                out.append(instance)
            else:
                out.append(row)
        return out

    def first(self, *args: Any, using: str = "default") -> Any:
        found = self.rows(*args, using=using)
        return found[0] if found else None

    def run(self, *args: Any, using: str = "default") -> int:
        """Run an UPDATE; return how many rows it changed."""
        assert self.kind == "update"
        compiled, params = self._execute(args, using)
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return int(cursor.rowcount)

    def run_many(self, args: Iterable[Sequence[Any]], *, using: str = "default") -> None:
        """Run an UPDATE once for each argument list, in one executemany."""
        assert self.kind == "update"
        compiled = self.compiled(using)
        with connections[using].cursor() as cursor:
            cursor.executemany(compiled.sql, [compiled.bind(one) for one in args])

    def sql(self, *args: Any, using: str = "default") -> tuple[str, list[Any]]:
        """The compiled text and this call's parameters, to put the statement inside
        another query (as a RawSQL subquery) without compiling it again."""
        compiled = self.compiled(using)
        return compiled.sql, compiled.bind(args)
