"""Reads over a list of ids, compiled once for the usual single id and for a batch's.

An IN list's length changes the statement's text, so statement.Statement
(compiled once, run with each call's values) cannot hold a read over any
number of ids. Most writes touch one profile or one appointment, and a
batch touches hundreds: `ForIds` runs one QuerySet builder three ways, as a
compiled statement for one id, on PostgreSQL as one compiled for more than
lookups.MANY ids (sent as one array), and through the ORM for the rest, so
the rows are the same (tests/automations/test_state_reads.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from rewardshub.backends.postgresql.lookups import MANY
from rewardshub.statement import Ids, Statement
from rewardshub.together import Later, Together


class ForIds:
    """A read over a list of ids, as `build(*args, ids)` makes it: compiled once
    for one id and (PostgreSQL) for a batch's many, built by the ORM between
    and on SQLite. `kinds` are the types of `args`,
    `item` the ids' type, `kind` statement.Statement's ("rows" or "models")."""

    def __init__(
        self, build: Callable[..., QuerySet[Any]], *kinds: type, item: type = int,
        kind: str = "rows",
    ) -> None:
        self.build = build
        self.one = Statement(lambda *args: build(*args[:-1], [args[-1]]), *kinds, item, kind=kind)
        self.many = Statement(build, *kinds, Ids.of(item), kind=kind)

    def _compiled_many(self, ids: Sequence[Any], using: str = "default") -> bool:
        return len(ids) > MANY and connections[using].vendor == "postgresql"

    def later(self, reads: Together, *args: Any, ids: Sequence[Any]) -> Later:
        """`rows` as one of several reads sent together (together.py): compiled,
        sent with the others; built by the ORM, read at once."""
        if len(ids) == 1:
            return reads.rows(self.one, *args, ids[0])
        if self._compiled_many(ids):
            return reads.rows(self.many, *args, list(ids))
        found = list(self.build(*args, list(ids)))
        return lambda: found

    def rows(self, *args: Any, ids: Sequence[Any]) -> list[Any]:
        if len(ids) == 1:
            return self.one.rows(*args, ids[0])
        if self._compiled_many(ids):
            return self.many.rows(*args, list(ids))
        return list(self.build(*args, list(ids)))
