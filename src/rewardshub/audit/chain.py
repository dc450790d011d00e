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

import logging
from collections.abc import Iterable
from typing import Any

from django.db import connections, transaction

from rewardshub.audit.hashing import GENESIS, HASHED_FIELDS, NO_PRACTICE, chain_key, event_hash
from rewardshub.audit.models import AuditChainHead, AuditEvent
from rewardshub.fastsql import Select

__all__ = ["GENESIS", "chain_key", "event_hash", "schedule_seal", "seal", "seal_all"]

logger = logging.getLogger(__name__)


def schedule_seal(practice_ids: Iterable[int | None], *, using: str = "default") -> None:
    """Seal these practices' new events once the writing transaction commits."""
    keys = sorted({chain_key(practice_id) for practice_id in practice_ids})
    transaction.on_commit(lambda: _after_commit(keys, using), using=using)


def _after_commit(keys: list[int], using: str) -> None:
    try:
        seal(keys, using=using)
    except Exception:
        # The action has committed and its answer stands. Its events are not
        # lost: they stay pending, and the next sealing of the chain (any later
        # event of the practice) or `rewardshub audit seal` links them.
        logger.exception("Audit sealing failed; the events stay pending for the next sealing.")


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
_PENDING_COLUMNS = """
    SELECT id, seq, practice_id, actor_kind, actor_user_id, actor_label, profile_id,
           action, outcome, detail, source_ip, created_at, mac, key_id
    FROM audit_auditevent
"""
_PENDING_NAMES = (*HASHED_FIELDS, "mac", "key_id")
_PENDING_FIELDS = [(AuditEvent, name) for name in ("id", *_PENDING_NAMES)]
# Not yet linked, oldest first: one statement per chain kind, no ORM compile each round.
_PENDING = Select(
    _PENDING_COLUMNS + "WHERE practice_id = %s AND seq IS NULL ORDER BY id LIMIT %s",
    _PENDING_FIELDS,
)
_PENDING_NO_PRACTICE = Select(
    _PENDING_COLUMNS + "WHERE practice_id IS NULL AND seq IS NULL ORDER BY id LIMIT %s",
    _PENDING_FIELDS,
)
_LINK = "UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"
# PostgreSQL: every link of the step in one statement (executemany would send
# and plan one UPDATE per event). The VALUES list is only placeholders.
_LINK_MANY = (
    "UPDATE audit_auditevent AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "
    "FROM (VALUES {rows}) AS v(seq, prev_hash, hash, id) WHERE a.id = v.id"
)
_LINK_ROW = "(%s::bigint, %s, %s, %s::bigint)"


def _link(using: str, links: list[tuple[int, str, str, int]]) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = ", ".join([_LINK_ROW] * len(links))
            cursor.execute(_LINK_MANY.format(rows=rows), [v for link in links for v in link])
        else:
            cursor.executemany(_LINK, links)


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
        head = heads.select_for_update().filter(chain=key).first()
        if head is None:
            # First event of the chain: create its head, ignoring a racing creator's.
            heads.bulk_create([AuditChainHead(chain=key)], ignore_conflicts=True)
            head = heads.select_for_update().get(chain=key)
        if key == NO_PRACTICE:
            rows = _PENDING_NO_PRACTICE.rows([SEAL_BATCH], using=using)
        else:
            rows = _PENDING.rows([key, SEAL_BATCH], using=using)
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
