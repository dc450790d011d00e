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
(actions.py, the only writer), and linked into its chain (its AuditChainHead
row locked, every event not yet linked taken in id order) at the end of that
transaction, just before its COMMIT (the hub's database backends call
`seal_before_commit`), so one commit carries the action and its links. On
SQLite the transaction already holds the one write lock. On PostgreSQL the
head is taken with SKIP LOCKED, so a writer never waits for another's
sealing: one that finds the head taken seals right after its commit, and
every holder looks once more for such events after its own (`seal` says
why that is enough). A call's events written as rows (audit/actions.py's
EventRows: an appointment event's, a batch's thousands) are linked by
their own INSERT when the head is free (`link_as_written`: no UPDATE
after), and otherwise sealed as above, a batch's on PostgreSQL after its
answer is sent. A test's transaction, which never commits, seals from its
commit callbacks. The same mechanism runs in tests, commands and the
served hub. Until it runs an event carries no hash; `audit
verify` (verify.py) reports such events as unsealed and never seals them.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import DatabaseError, connections, transaction

from rewardshub.audit.hashing import (
    GENESIS,
    HASHED_FIELDS,
    NO_PRACTICE,
    chain_key,
    event_hash,
    row_links,
)
from rewardshub.audit.link_sql import HEAD, HEAD_EXISTS, HEAD_IF_FREE, MOVE_HEAD, link
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.statement import Statement

__all__ = [
    "GENESIS",
    "chain_key",
    "event_hash",
    "link_as_written",
    "schedule_seal",
    "seal",
    "seal_all",
    "seal_before_commit",
]

logger = logging.getLogger(__name__)


def schedule_seal(
    practice_ids: Iterable[int | None], *, using: str = "default", after_answer: bool = False
) -> None:
    """Seal these practices' new events as the writing transaction commits.

    At its end, just before its COMMIT (`seal_before_commit`); what that
    leaves (a chain whose head another writer held, a write outside any
    transaction of ours, a test's transaction) right after it. `after_answer`
    is for a large write on PostgreSQL (a batch call's thousands of events):
    sealed after the request's answer is sent, so the caller does not wait.
    """
    keys = frozenset(chain_key(practice_id) for practice_id in practice_ids)
    transaction.on_commit(_Sealing(keys, using, after_answer), using=using)


def seal_before_commit(connection: Any) -> None:
    """Seal the chains this transaction wrote, inside it, just before its COMMIT.

    One commit then carries the action and its links. On SQLite the
    transaction already holds the one write lock, so this costs no second
    turn at it (a writer that finds the lock taken sleeps in SQLite's busy
    handler, 1 to 100 ms a try). On PostgreSQL the head is taken with SKIP
    LOCKED: a transaction that finds it held by another (sealing, or
    committing its links) commits without sealing and seals right after its
    commit instead, so no writer ever waits for another's WAL flush. A
    failing sealing is rolled back to its savepoint and the action still
    commits; its events stay pending for the next sealing.
    """
    sealings = [
        func
        for _ids, func, _robust in connection.run_on_commit
        if isinstance(func, _Sealing) and func.keys
    ]
    postgres = connection.vendor == "postgresql"
    now = [sealing for sealing in sealings if not (postgres and sealing.after_answer)]
    if not now:
        return
    keys = frozenset().union(*(sealing.keys for sealing in now))
    sealed = set()
    try:
        for key in sorted(keys):
            count = _seal_chain(key, connection.alias, skip_locked=postgres, look_again=False)
            if count is not None:
                sealed.add(key)
    except Exception:
        logger.exception("Audit sealing failed; the events stay pending for the next sealing.")
        return
    for sealing in now:
        sealing.keys = frozenset()
    # After the commit: the chains skipped here are sealed, and on PostgreSQL
    # the sealed ones looked at once more for events a skipping writer left.
    now[0].keys = keys.difference(sealed)
    now[0].sealed = frozenset(sealed) if postgres else frozenset()


_clock = itertools.count()
_answering = threading.local()


def _request_started(**kwargs: Any) -> None:
    _answering.deferred = []


def _request_finished(**kwargs: Any) -> None:
    """The answer has been sent: seal what a large write left for now."""
    deferred: list[_Sealing] = getattr(_answering, "deferred", None) or []
    _answering.deferred = None
    for sealing in deferred:
        sealing.seal_now()


request_started.connect(_request_started, dispatch_uid="rewardshub.audit.seal.started")
request_finished.connect(_request_finished, dispatch_uid="rewardshub.audit.seal.finished")


class _Sealing:
    """The sealing of some chains that a transaction's commit arranges.

    An action that writes its audit rows in two calls (the award, then the
    Sync log's events) arranges two sealings of one commit. Before the
    commit, `seal_before_commit` seals every chain of them in one go and
    empties them. In a test's transaction, which never commits, they run as
    commit callbacks instead: the first to run links every event that commit
    wrote in its chains, so the second skips the chains the first sealed. A
    sealing skips a chain only when a sealing of the same transaction sealed
    it after this one was arranged, so after the events it is for were written.
    """

    def __init__(self, keys: frozenset[int], using: str, after_answer: bool) -> None:
        self.keys = keys
        self.using = using
        self.after_answer = after_answer
        # Chains sealed before the commit, to look at once more after it.
        self.sealed: frozenset[int] = frozenset()
        # Django starts a new list of commit callbacks for each transaction.
        self.transaction = connections[using].run_on_commit
        self.arranged = next(_clock)

    def __call__(self) -> None:
        if not self.keys and not self.sealed:
            return
        deferred = getattr(_answering, "deferred", None)
        if self.after_answer and deferred is not None:
            deferred.append(self)
            return
        self.seal_now()

    def seal_now(self) -> None:
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
        if not keys and not self.sealed:
            return
        started = next(_clock)
        try:
            seal(keys, using=self.using, wait=False, sealed=self.sealed)
        except Exception:
            # The action has committed and its answer stands. Its events are not
            # lost: they stay pending, and the next sealing of the chain (any later
            # event of the practice) or `rewardshub audit seal` links them.
            logger.exception("Audit sealing failed; the events stay pending for the next sealing.")
            return
        done[1].append((started, keys))


def seal(
    keys: Iterable[int],
    *,
    using: str = "default",
    wait: bool = True,
    sealed: frozenset[int] = frozenset(),
) -> int:
    """Link every not-yet-linked event of these chains, in id order; return how many.

    Each chain in steps of SEAL_BATCH events, each in a transaction (or, before
    a commit, a savepoint) that holds the chain head locked only for the rows
    it links. `wait=False` (PostgreSQL, after a request's commit): a sealer
    that finds the head locked leaves at once. That is safe because every
    sealer that held a head on PostgreSQL looks for pending events once more
    after its own commit, and so takes every event committed before the lock
    was found taken. `sealed`: chains this transaction sealed before its
    commit, which need only that last look.
    """
    total = 0
    postgres = connections[using].vendor == "postgresql"
    skip_locked = not wait and postgres
    # Key order, so two sealers of several chains cannot deadlock.
    for key in sorted(set(keys) | sealed):
        if key in sealed and key not in keys and not _any_pending(key, using):
            continue
        total += _seal_chain(key, using, skip_locked=skip_locked, look_again=postgres) or 0
    return total


def _seal_chain(key: int, using: str, *, skip_locked: bool, look_again: bool) -> int | None:
    """Seal one chain in steps; None if another sealer held its head at the first."""
    total = 0
    while True:
        count = _seal_once(key, using, skip_locked=skip_locked)
        if count is None:
            # Another sealer holds the head and looks again after its commit.
            return total or None
        total += count
        if count == SEAL_BATCH:
            continue
        if not look_again or not _any_pending(key, using):
            return total


def _any_pending(key: int, using: str) -> bool:
    read, args = _pending_of(1, key)
    return bool(read.rows(*args, using=using))


def _pending_of(batch: int, key: int) -> tuple[Statement, tuple[int, ...]]:
    """The chain's read of its pending events, and its arguments."""
    return _pending(batch, key == NO_PRACTICE), (() if key == NO_PRACTICE else (key,))


# At most this many events a sealing transaction, so a backlog (a batch sync of
# thousands of charts) is sealed in steps that never hold the head for long.
SEAL_BATCH = 2000
_PENDING_NAMES = (*HASHED_FIELDS, "mac", "key_id")


@cache
def _pending(batch: int, no_practice: bool) -> Statement:
    """Not yet linked, oldest first. Compiled once (statement.Statement): the ORM's
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


class _Pending:
    """One unsealed event, as the hash reads it (attribute names of the model)."""

    id: int
    seq: int

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.id = row[0]
        for name, value in zip(_PENDING_NAMES, row[1:], strict=True):
            setattr(self, name, value)


def _seal_once(key: int, using: str, *, skip_locked: bool = False) -> int | None:
    """Seal one batch of the chain's pending events; return how many.

    Waits for the head, or with `skip_locked` returns None if another
    sealer holds it."""
    with transaction.atomic(using=using):
        head = _take_head(key, using, skip_locked=skip_locked)
        return None if head is None else _link_pending(key, using, head)


def _take_head(key: int, using: str, *, skip_locked: bool) -> AuditChainHead | None:
    """The chain's head, locked until the transaction ends; with `skip_locked`,
    None if another transaction holds it."""
    head = (HEAD_IF_FREE if skip_locked else HEAD).first(key, using=using)
    if head is None and skip_locked and HEAD_EXISTS.first(key, using=using) is not None:
        return None
    if head is None:
        # First event of the chain: create its head, ignoring a racing creator's.
        AuditChainHead.objects.using(using).bulk_create(
            [AuditChainHead(chain=key)], ignore_conflicts=True
        )
        head = HEAD.first(key, using=using)
        assert head is not None
    return head


def _link_pending(key: int, using: str, head: AuditChainHead) -> int:
    """Link up to SEAL_BATCH pending events after the held head, and move it."""
    read, args = _pending_of(SEAL_BATCH, key)
    pending = [_Pending(row) for row in read.rows(*args, using=using)]
    seq, prev = head.last_seq, head.last_hash
    links = []
    for event in pending:
        seq += 1
        event.seq = seq
        this = event_hash(prev, event)
        links.append((seq, prev, this, event.id))
        prev = this
    if links:
        link(using, key, links)
        head.last_seq, head.last_hash = seq, prev
    return len(pending)


def link_as_written(
    practice_id: int | None, shared: Any, rows: list[list[Any]], *, using: str = "default"
) -> list[tuple[int, str, str]] | None:
    """The links of new events, for their INSERT to carry, if the chain's head is free.

    Inside the writing transaction: the head is locked until its COMMIT (on
    PostgreSQL only if no one holds it), the chain's pending events linked
    first, and the head moved past `rows` (hashing.row_links: signed events
    as rows). Their INSERT then needs no UPDATE to seal them. None if another
    holds the head or the hashing fails: the events are then written pending
    and sealed as any other (`schedule_seal`). On
    PostgreSQL the holder looks once more for pending events after its
    commit, as every sealer does (`seal`).
    """
    key = chain_key(practice_id)
    postgres = connections[using].vendor == "postgresql"
    # No savepoint of its own: two statements a write (BENCHMARKS.md, "The
    # linking's savepoint"). A statement that fails here fails the write's
    # transaction, as one of the write's own would. A failure of the hashing
    # leaves nothing half-written: each step of pending events is written with
    # the head's move in one statement (link_sql.link), and this write's head
    # move goes last.
    try:
        head = _take_head(key, using, skip_locked=postgres)
        if head is None:
            return None
        while _link_pending(key, using, head) == SEAL_BATCH:
            pass
        links = row_links(shared, rows, head.last_seq, head.last_hash)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("Audit linking failed; the events are written pending.")
        return None
    MOVE_HEAD.run(key, links[-1][0], links[-1][2], using=using)
    if postgres:
        look_again = _Sealing(frozenset(), using, after_answer=True)
        look_again.sealed = frozenset({key})
        transaction.on_commit(look_again, using=using)
    return links


def seal_all(*, using: str = "default") -> int:
    """Seal every chain that has events not yet linked (`rewardshub audit seal`)."""
    pending = AuditEvent.objects.using(using).filter(seq__isnull=True)
    practice_ids = pending.values_list("practice_id", flat=True).distinct()
    return seal([chain_key(pid) for pid in practice_ids], using=using)
