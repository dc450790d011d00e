"""`__in` over many values sent as one array on PostgreSQL.

A batch reads by lists of a thousand ids. Django writes such a list as
`IN (%s, %s, ...)`, a thousand parameters: psycopg parses that long text
anew on every call (it caches only short statements), and PostgreSQL parses
a thousand parameters. The same lookup with more than MANY values is sent as
`= ANY(%s::type[])`, one array of the values Django converted as usual
(BENCHMARKS.md, "One array, not a thousand parameters"). Fewer values, and
every lookup on SQLite, stay Django's own IN list.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject
from django.db.models.expressions import ColPairs  # type: ignore[attr-defined]
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

# Values from which a list is a batch's; base.py's prepare limit is this line too.
MANY = 64


class _OneArray:
    """As an `In` lookup, but many direct values go as one array parameter."""

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if (
            connection.vendor == "postgresql"
            and self.rhs_is_direct_value()  # type: ignore[attr-defined]
            and not isinstance(self.lhs, ColPairs)  # type: ignore[attr-defined]
            and len(self.rhs) > MANY  # type: ignore[attr-defined]
        ):
            lhs_sql, lhs_params = self.process_lhs(compiler, connection)  # type: ignore[attr-defined]
            # Django's conversions of each value, None left out (NULL equals nothing).
            _, values = self.process_rhs(compiler, connection)  # type: ignore[attr-defined]
            cast = self.lhs.output_field.db_type(connection)  # type: ignore[attr-defined]
            return f"{lhs_sql} = ANY(%s::{cast}[])", [*lhs_params, list(values)]
        return super().as_sql(compiler, connection)  # type: ignore[misc,no-any-return]


class ArrayIn(_OneArray, In):
    pass


class ArrayRelatedIn(_OneArray, RelatedIn):
    pass


def register() -> None:
    """Put the lookups in place of Django's `in` (a field and a foreign key's)."""
    Field.register_lookup(ArrayIn)
    ForeignObject.register_lookup(ArrayRelatedIn)
