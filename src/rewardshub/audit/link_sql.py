"""The statements that seal the audit chain (audit/chain.py runs them).

The head's lock and move, and the links' UPDATE: on PostgreSQL every link of
a step and the head's move in one statement, built from the models' own
table and column names, quoted, once per database; every value is a parameter.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from django.db import connections
from django.db.models import Field

from rewardshub import cursors
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.statement import Statement

_LINKED = ("seq", "prev_hash", "hash")


@cache
def link_many(using: str) -> str:
    """PostgreSQL: every link of a step, and the head's move, in one statement:
    UPDATE ... FROM unnest(<one array a column>) with the head's UPDATE as its
    WITH, from the models' own table and column names. Its arguments: the
    head's seq, hash and chain, then the links' seqs, previous hashes, hashes
    and event ids, each as one list. One text for any number of links, so it
    is prepared and planned once, and seven parameters instead of four an
    event to bind (a 2,000-event step: BENCHMARKS.md, "Sealing by arrays").
    executemany would send and plan one UPDATE an event; bulk_update's CASE
    is ten times slower for a 2,000-event step."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = AuditEvent._meta
    fields: list[Field[Any, Any]] = [cast("Field[Any, Any]", meta.get_field(n)) for n in _LINKED]
    assert meta.pk is not None
    fields.append(meta.pk)
    names = [quote(str(field.column)) for field in fields]
    sets = ", ".join(f"{name} = v.{name}" for name in names[:-1])
    pk = names[-1]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    head = AuditChainHead._meta
    def column(name: str) -> str:
        return quote(str(cast("Field[Any, Any]", head.get_field(name)).column))

    moved = f"{column('last_seq')} = %s, {column('last_hash')} = %s"
    chain = column("chain")
    # Names from the models' metadata, quoted; every value is a parameter.
    sql = (
        f"WITH head AS (UPDATE {quote(head.db_table)} SET {moved} WHERE {chain} = %s) "  # noqa: S608
        f"UPDATE {quote(meta.db_table)} AS a SET {sets} "
        f"FROM unnest({arrays}) AS v({', '.join(names)}) WHERE a.{pk} = v.{pk}"
    )
    return sql


# SQLite: one UPDATE a link, in one executemany, compiled once (about 0.5 ms
# saved a sealing). The QuerySet is only compiled, never run through the
# model's append-only guard: linking is the one change an event ever gets.
LINK = Statement(
    lambda seq, prev_hash, hash_, pk: AuditEvent.objects.filter(pk=pk),
    int,
    str,
    str,
    int,
    kind="update",
    update=lambda seq, prev_hash, hash_, pk: {"seq": seq, "prev_hash": prev_hash, "hash": hash_},
)


# The chain's head, locked; compiled once (0.2 ms a sealing on SQLite).
HEAD = Statement(
    lambda key: AuditChainHead.objects.select_for_update().filter(chain=key), int, kind="models"
)
HEAD_IF_FREE = Statement(
    lambda key: AuditChainHead.objects.select_for_update(skip_locked=True).filter(chain=key),
    int,
    kind="models",
)
# Whether the chain has a head at all, asked when SKIP LOCKED found none: a
# writer that finds it taken asks twice (before its COMMIT and after), and
# the ORM's exists() compiled its query each time.
HEAD_EXISTS = Statement(
    lambda key: AuditChainHead.objects.filter(chain=key).values_list("chain")[:1], int
)


# The head's move, compiled once (the QuerySet update cost 0.3 ms a sealing).
MOVE_HEAD = Statement(
    lambda key, seq, hash_: AuditChainHead.objects.filter(chain=key),
    int,
    int,
    str,
    kind="update",
    update=lambda key, seq, hash_: {"last_seq": seq, "last_hash": hash_},
)


def link(using: str, key: int, links: list[tuple[int, str, str, int]]) -> None:
    """Write the links and move the chain's head to the last of them."""
    connection = connections[using]
    seq, _, last, _ = links[-1]
    if connection.vendor != "postgresql":
        LINK.run_many(links, using=using)
        MOVE_HEAD.run(key, seq, last, using=using)
        return
    with cursors.cursor(using) as cursor:
        cursor.execute(link_many(using), [seq, last, key, *map(list, zip(*links, strict=True))])
