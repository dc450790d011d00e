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
QuerySet's (tests/test_cached_statements.py). Several can be sent in one
round trip (together.py).

Tenant scoping holds here as everywhere: every statement that reads patient data
names the practice in its WHERE clause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model

from rewardshub import cursors
from rewardshub.backends.postgresql.lookups import MANY

Converter = Callable[[Any, Any, Any], Any]


# Each argument of a Statement is compiled as a marker value of its type; where
# the markers land in the parameters is where later calls put their values.
_MARKERS: dict[type, Callable[[int], Any]] = {
    int: lambda i: -7_340_033_000_000 - i,
    str: lambda i: f"\x00rewardshub-argument-{i}",
}


class Ids(list):  # type: ignore[type-arg]
    """The type of a list argument: the values of an `__in` lookup, compiled as
    PostgreSQL's one array (backends/postgresql/lookups.py), so one text holds
    any number of them. `Ids.of(item)` is the argument type for items of `item`."""

    item: type = int

    @staticmethod
    def of(item: type) -> type:
        return type(f"Ids[{item.__name__}]", (Ids,), {"item": item})

    @classmethod
    def marker(cls, i: int) -> Ids:
        # Distinct values, more than the array's threshold (In drops repeats).
        return cls(_MARKERS[cls.item](i * (MANY + 1) + j) for j in range(MANY + 1))


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
    primary key, a foreign key id, a text value), or `Ids.of(int)` for a list
    of them used in an `__in` lookup (PostgreSQL only). `kind` says what the
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

        markers = [
            kind.marker(i) if issubclass(kind, Ids) else _MARKERS[kind](i)
            for i, kind in enumerate(self.kinds)
        ]
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
        # An Ids marker comes back as the plain list of its values (ArrayIn).
        kinds = [list if isinstance(m, Ids) else type(m) for m in markers]
        slots = tuple(
            (position, index, list if kinds[index] is list else type(value))
            for position, value in enumerate(params)
            for index, marker in enumerate(markers)
            if value == marker and isinstance(value, kinds[index])
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
        with cursors.cursor(using) as cursor:
            cursor.execute(compiled.sql, params)
            return self.convert(compiled, cursor.fetchall(), using)

    def convert(self, compiled: _Compiled, raw: list[Any], using: str) -> list[Any]:
        """The rows the database sent for `compiled`, as `rows` gives them."""
        connection = connections[using]
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
        with cursors.cursor(using) as cursor:
            cursor.execute(compiled.sql, params)
            return int(cursor.rowcount)

    def run_many(self, args: Iterable[Sequence[Any]], *, using: str = "default") -> None:
        """Run an UPDATE once for each argument list, in one executemany."""
        assert self.kind == "update"
        compiled = self.compiled(using)
        with cursors.cursor(using) as cursor:
            cursor.executemany(compiled.sql, [compiled.bind(one) for one in args])

    def sql(self, *args: Any, using: str = "default") -> tuple[str, list[Any]]:
        """The compiled text and this call's parameters, to put the statement inside
        another query (as a RawSQL subquery) without compiling it again."""
        compiled = self.compiled(using)
        return compiled.sql, compiled.bind(args)
