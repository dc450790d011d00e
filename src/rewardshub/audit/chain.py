"""The tamper-evident audit chain: each practice's events hashed one onto the next.

An event's hash is sha256 over the previous event's hash and the event's own
fields in a canonical form, so editing an event changes its hash, deleting one
leaves a gap in the sequence numbers, and rewriting either breaks the next
link. Events with no practice form a chain of their own (chain key 0).

Linking happens inside the writer's transaction, holding the practice's
AuditChainHead row locked (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
IMMEDIATE transaction already holds the only write lock), so concurrent
writers queue and each link follows the last committed one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

NO_PRACTICE = 0
GENESIS = ""

HASHED_FIELDS = (
    "seq",
    "practice_id",
    "actor_kind",
    "actor_user_id",
    "actor_label",
    "profile_id",
    "action",
    "outcome",
    "detail",
    "source_ip",
    "created_at",
)


def chain_key(practice_id: int | None) -> int:
    return NO_PRACTICE if practice_id is None else practice_id


def _ip(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).split("/")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(event: Any) -> str:
    """The event's hashed fields as one JSON text, the same however the row was read back.

    Takes any object with the fields as attributes (a model instance, or the
    historical model in a migration).
    """
    fields = {
        "seq": event.seq,
        "practice": event.practice_id,
        "actor_kind": str(event.actor_kind),
        "actor_user": event.actor_user_id,
        "actor_label": event.actor_label,
        "profile": event.profile_id,
        "action": event.action,
        "outcome": str(event.outcome),
        # Through JSON and back, as the database stores it (integer keys become strings).
        "detail": json.loads(json.dumps(event.detail or {})),
        "source_ip": _ip(event.source_ip),
        "created_at": _time(event.created_at),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def event_hash(prev_hash: str, event: Any) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def link_events(events: Sequence[Any], *, using: str = "default") -> None:
    """Give unsaved events their seq, prev_hash and hash; call inside the writing transaction."""
    from rewardshub.audit.models import AuditChainHead

    if not events:
        return
    by_chain: dict[int, list[Any]] = {}
    for event in events:
        by_chain.setdefault(chain_key(event.practice_id), []).append(event)
    now = timezone.now()
    heads = AuditChainHead.objects.using(using)
    # Lock heads in key order so two multi-practice writers cannot deadlock.
    for key in sorted(by_chain):
        head = heads.select_for_update().filter(chain=key).first()
        if head is None:
            # First event of the chain: create its head, ignoring a racing creator's.
            heads.bulk_create([AuditChainHead(chain=key)], ignore_conflicts=True)
            head = heads.select_for_update().get(chain=key)
        seq, prev = head.last_seq, head.last_hash
        for event in by_chain[key]:
            seq += 1
            # Like auto_now_add: the time it was written, which the hash covers.
            event.created_at = now
            event.seq = seq
            event.prev_hash = prev
            event.hash = prev = event_hash(prev, event)
        heads.filter(chain=key).update(last_seq=seq, last_hash=prev)


@dataclass(frozen=True)
class Break:
    """The first broken link of one chain."""

    practice_id: int | None
    seq: int
    created_at: dt.datetime | None
    problem: str


@dataclass
class ChainReport:
    practice_id: int | None
    events: int = 0
    broken: Break | None = None


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"sequence gap: {first} is missing"
    return f"sequence gap: {first} to {last} are missing"


def verify_chain(
    practice_id: int | None,
    events: Iterable[Any],
    head: tuple[int, str] | None,
) -> ChainReport:
    """Walk one chain's events in seq order; report the first broken link.

    `head` is the chain head's (last_seq, last_hash), which catches deleted
    events at the end of the chain, where no later link would notice.
    """
    report = ChainReport(practice_id)
    expected, prev = 1, GENESIS
    last_time: dt.datetime | None = None

    def broken(seq: int, when: dt.datetime | None, problem: str) -> ChainReport:
        report.broken = Break(practice_id, seq, when, problem)
        return report

    for event in events:
        report.events += 1
        if event.seq != expected:
            if event.seq > expected:
                return broken(expected, event.created_at, _missing(expected, event.seq - 1))
            return broken(event.seq, event.created_at, "sequence number repeated or out of order")
        if event.hash != event_hash(event.prev_hash, event):
            return broken(event.seq, event.created_at, "hash does not match its contents")
        if event.prev_hash != prev:
            return broken(event.seq, event.created_at, "previous-hash mismatch")
        expected, prev, last_time = expected + 1, event.hash, event.created_at
    if head is None:
        if report.events:
            return broken(expected - 1, last_time, "the chain head is missing")
    else:
        last_seq, last_hash = head
        if last_seq > expected - 1:
            return broken(expected, last_time, _missing(expected, last_seq) + " (at the end)")
        if last_seq == expected - 1 and last_hash != prev:
            return broken(last_seq, last_time, "previous-hash mismatch (chain head)")
    return report


def verify_all(practice_ids: list[int | None] | None = None) -> Iterator[ChainReport]:
    """Verify every chain (or the given practices'), one report per chain."""
    from rewardshub.audit.models import AuditChainHead, AuditEvent

    heads = {h.chain: (h.last_seq, h.last_hash) for h in AuditChainHead.objects.all()}
    if practice_ids is None:
        present = set(AuditEvent.objects.values_list("practice_id", flat=True).distinct())
        present |= {None if key == NO_PRACTICE else key for key in heads}
        practice_ids = sorted(present, key=lambda p: (p is not None, p or 0))
    for practice_id in practice_ids:
        events = (
            AuditEvent.objects.filter(practice_id=practice_id)
            .order_by("seq")
            .only(*HASHED_FIELDS, "prev_hash", "hash")
            .iterator(chunk_size=2000)
        )
        yield verify_chain(practice_id, events, heads.get(chain_key(practice_id)))
