"""The tamper-evident audit chain: each practice's events hashed one onto the next.

An event's hash is sha256 over the previous event's hash and the event's own
fields and MAC in a canonical form (hashing.py), so editing an event changes
its hash, deleting one leaves a gap in the sequence numbers, and rewriting
either breaks the next link. The hash needs no key, so someone who can write
to the database could recompute the chain after an edit: the MAC each event
carries from its INSERT (keyring.py), under a key the database does not hold,
is what catches that. Events with no practice form a chain of their own
(chain key 0).

An event is written signed but unlinked, inside its action's transaction
(actions.py, the only writer); right after that transaction commits, in the
same request or command, a short sealing transaction locks the practice's
AuditChainHead row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
IMMEDIATE transaction already holds the only write lock) and links every
committed event not yet linked, in id order. Sealers of one chain take
turns; one that finds its events already linked by the sealer before it
commits nothing. The same mechanism runs in tests, commands and the served
hub. Until then (milliseconds) an event carries no hash; `audit verify`
(verify.py) reports such events as unsealed and never seals them itself.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from functools import cache
from typing import Any, cast

from django.db import connections, transaction
from django.db.models import Field

from rewardshub.audit.hashing import GENESIS, HASHED_FIELDS, NO_PRACTICE, chain_key, event_hash
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.fastsql import Statement

__all__ = ["GENESIS", "chain_key", "event_hash", "schedule_seal", "seal", "seal_all"]

logger = logging.getLogger(__name__)


def schedule_seal(practice_ids: Iterable[int | None], *, using: str = "default") -> None:
    """Seal these practices' new events once the writing transaction commits."""
    keys = frozenset(chain_key(practice_id) for practice_id in practice_ids)
    transaction.on_commit(_Sealing(keys, using), using=using)


_clock = itertools.count()


class _Sealing:
    """The after-commit sealing of some chains.

    An action that writes its audit rows in two calls (the award, then the
    Sync log's events) arranges two sealings of one commit; the first to run
    links every event that commit wrote in its chains, so the second skips
    the chains the first sealed: two statements (the head's lock, the read of
    unlinked events) saved a call. A sealing skips a chain only when a sealing
    of the same transaction sealed it after this one was arranged, so after
    the events it is for were written.
    """

    def __init__(self, keys: frozenset[int], using: str) -> None:
        self.keys = keys
        self.using = using
        # Django starts a new list of commit callbacks for each transaction.
        self.transaction = connections[using].run_on_commit
        self.arranged = next(_clock)

    def __call__(self) -> None:
        connection = connections[self.using]
        # This transaction's sealings so far: (when each started, its chains).
        done: tuple[list[Any], list[tuple[int, frozenset[int]]]] | None = getattr(
            connection, "rewardshub_sealings", None
        )
        if done is None or done[0] is not self.transaction:
            done = (self.transaction, [])
            connection.rewardshub_sealings = done  # type: ignore[attr-defined]
        keys = self.keys.difference(
            *(sealed for started, sealed in done[1] if started > self.arranged)
        )
        if not keys:
            return
        started = next(_clock)
        try:
            seal(keys, using=self.using)
        except Exception:
            # The action has committed and its answer stands. Its events are not
            # lost: they stay pending, and the next sealing of the chain (any later
            # event of the practice) or `rewardshub audit seal` links them.
            logger.exception("Audit sealing failed; the events stay pending for the next sealing.")
            return
        done[1].append((started, keys))


def seal(keys: Iterable[int], *, using: str = "default") -> int:
    """Link every not-yet-linked event of these chains, in id order; return how many.

    Each chain is sealed in short transactions of their own that hold the
    chain head locked only for the few rows they link; linking inside the
    writer's transaction instead would queue every audited request of a
    practice behind the slowest. A sealer waits for the head (never skips
    it), so an event committed just before a sealer looked is always taken
    by the next one; under load most sealers find their events linked
    already and commit nothing.
    """
    sealed = 0
    # Key order, so two sealers of several chains cannot deadlock.
    for key in sorted(set(keys)):
        while True:
            count = _seal_once(key, using)
            sealed += count
            if count < SEAL_BATCH:
                break
    return sealed


# At most this many events a sealing transaction, so a backlog (a batch sync of
# thousands of charts) is sealed in steps that never hold the head for long.
SEAL_BATCH = 2000
_PENDING_NAMES = (*HASHED_FIELDS, "mac", "key_id")


@cache
def _pending(batch: int, no_practice: bool) -> Statement:
    """Not yet linked, oldest first. Compiled once (fastsql.Statement): the ORM's
    compile costs about 0.5 ms a sealing on SQLite, 0.7 ms on PostgreSQL."""
    events = AuditEvent.objects.filter(seq__isnull=True).order_by("id")
    if no_practice:
        return Statement(
            lambda: events.filter(practice__isnull=True).values_list("id", *_PENDING_NAMES)[:batch]
        )
    return Statement(
        lambda key: events.filter(practice_id=key).values_list("id", *_PENDING_NAMES)[:batch],
        int,
    )


# SQLite: one UPDATE a link, in one executemany, compiled once (about 0.5 ms
# saved a sealing). The QuerySet is only compiled, never run through the
# model's append-only guard: linking is the one change an event ever gets.
_LINK = Statement(
    lambda seq, prev_hash, hash_, pk: AuditEvent.objects.filter(pk=pk),
    int,
    str,
    str,
    int,
    kind="update",
    update=lambda seq, prev_hash, hash_, pk: {"seq": seq, "prev_hash": prev_hash, "hash": hash_},
)
_LINKED = ("seq", "prev_hash", "hash")


@cache
def _link_many(using: str) -> tuple[str, str]:
    """PostgreSQL: every link of a step in one UPDATE ... FROM (VALUES ...): the
    statement around the VALUES list, and one row of it, from the model's own
    table and column names (executemany would send and plan one UPDATE per
    event; bulk_update's CASE is ten times slower for a 2,000-event step)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = AuditEvent._meta
    fields: list[Field[Any, Any]] = [cast("Field[Any, Any]", meta.get_field(n)) for n in _LINKED]
    assert meta.pk is not None
    fields.append(meta.pk)
    names = [quote(str(field.column)) for field in fields]
    sets = ", ".join(f"{name} = v.{name}" for name in names[:-1])
    pk = names[-1]
    row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    # Names from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS a SET {sets} "  # noqa: S608
        f"FROM (VALUES {{rows}}) AS v({', '.join(names)}) WHERE a.{pk} = v.{pk}"
    )
    return sql, row


# The chain's head, locked; compiled once (0.2 ms a sealing on SQLite). Moving
# it stays a plain QuerySet update: compiling that costs under 0.1 ms.
_HEAD = Statement(
    lambda key: AuditChainHead.objects.select_for_update().filter(chain=key), int, kind="models"
)


def _link(using: str, links: list[tuple[int, str, str, int]]) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        _LINK.run_many(links, using=using)
        return
    sql, row = _link_many(using)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(rows=", ".join([row] * len(links))), [v for link in links for v in link]
        )


class _Pending:
    """One unsealed event, as the hash reads it (attribute names of the model)."""

    id: int
    seq: int

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.id = row[0]
        for name, value in zip(_PENDING_NAMES, row[1:], strict=True):
            setattr(self, name, value)


def _seal_once(key: int, using: str) -> int:
    """Seal one batch of the chain's pending events, waiting for the head; return how many."""
    heads = AuditChainHead.objects.using(using)
    with transaction.atomic(using=using):
        head = _HEAD.first(key, using=using)
        if head is None:
            # First event of the chain: create its head, ignoring a racing creator's.
            heads.bulk_create([AuditChainHead(chain=key)], ignore_conflicts=True)
            head = _HEAD.first(key, using=using)
            assert head is not None
        if key == NO_PRACTICE:
            rows = _pending(SEAL_BATCH, True).rows(using=using)
        else:
            rows = _pending(SEAL_BATCH, False).rows(key, using=using)
        pending = [_Pending(row) for row in rows]
        seq, prev = head.last_seq, head.last_hash
        links = []
        for event in pending:
            seq += 1
            event.seq = seq
            this = event_hash(prev, event)
            links.append((seq, prev, this, event.id))
            prev = this
        if links:
            _link(using, links)
            heads.filter(chain=key).update(last_seq=seq, last_hash=prev)
        return len(pending)


def seal_all(*, using: str = "default") -> int:
    """Seal every chain that has events not yet linked (`rewardshub audit seal`)."""
    practice_ids = (
        AuditEvent.objects.using(using)
        .filter(seq__isnull=True)
        .values_list("practice_id", flat=True)
        .distinct()
    )
    return seal([chain_key(pid) for pid in practice_ids], using=using)
