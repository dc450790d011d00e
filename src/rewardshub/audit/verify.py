"""Checking the audit trail: every chain link, every MAC, and the anchored heads. Reads only.

`verify_all` walks each practice's chain in seq order and reports:
- a broken link (a gap, a repeated seq, a hash that does not match the event,
  a previous-hash mismatch, a chain head the events do not reach), the first
  of each chain, since every later link follows from it;
- every event whose MAC does not match its fields, by seq (or by id while it
  is unsealed): an edit by someone without the audit key, even one who
  recomputed the hashes after it;
- events signed by a key the ring no longer holds, as unverifiable;
- events written before signing began, once per chain, as unsigned (not as
  tampering); an unsigned event after a signed one is tampering (its
  signature was removed);
- events not yet sealed, by id: they are checked for their MAC but never
  sealed here, so nothing an intruder edited before sealing is approved;
- with anchors (`rewardshub audit anchor`, kept elsewhere): each anchored
  event must still be there with its hash, reached by an unbroken chain, so
  nothing before it was removed or rewritten, its end included.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q

from rewardshub.audit.hashing import (
    GENESIS,
    HASHED_FIELDS,
    NO_PRACTICE,
    chain_key,
    event_hash,
    signed_text,
)
from rewardshub.audit.keyring import KeyRing, mac
from rewardshub.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class Break:
    """One problem found in a chain: by seq, or by event id while unsealed."""

    practice_id: int | None
    seq: int | None
    created_at: dt.datetime | None
    problem: str
    event_id: int | None = None


@dataclass(frozen=True)
class Anchor:
    practice_id: int | None
    seq: int
    hash: str
    line: int


@dataclass
class ChainReport:
    practice_id: int | None
    events: int = 0
    problems: list[Break] = field(default_factory=list)
    # Events with no MAC before the first signed one, and that one's seq.
    unsigned: int = 0
    first_signed: int | None = None
    unsealed: list[int] = field(default_factory=list)
    # Key id -> how many events it signed that the ring cannot check.
    unverifiable: Counter[str] = field(default_factory=Counter)
    anchor: Anchor | None = None

    @property
    def broken(self) -> Break | None:
        return self.problems[0] if self.problems else None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unverifiable


class AnchorError(ValueError):
    pass


def parse_anchors(text: str, where: str) -> dict[int | None, Anchor]:
    """Anchor lines as `rewardshub audit anchor` prints them (JSON, one chain a line)."""
    anchors: dict[int | None, Anchor] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            practice_id, seq, digest = item["practice_id"], item["seq"], item["hash"]
            valid = (
                (practice_id is None or isinstance(practice_id, int))
                and isinstance(seq, int)
                and seq > 0
                and isinstance(digest, str)
                and len(digest) == 64
            )
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise AnchorError(
                f"{where}, line {number} is not an anchor line as `rewardshub audit anchor` "
                'prints them: {"practice_id": ..., "seq": ..., "hash": ...}.'
            )
        anchors[practice_id] = Anchor(practice_id, seq, digest, number)
    return anchors


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"sequence gap: {first} is missing"
    return f"sequence gap: {first} to {last} are missing"


class _Walk:
    """One chain's check, event by event."""

    def __init__(self, practice_id: int | None, keys: KeyRing, anchor: Anchor | None) -> None:
        self.report = ChainReport(practice_id, anchor=anchor)
        self.keys = keys
        self.anchor = anchor
        self.anchor_reached = False
        self.linked = True  # no broken link yet
        self.expected, self.prev = 1, GENESIS
        self.last_time: dt.datetime | None = None

    def problem(self, event: Any, text: str, *, seq: int | None = None) -> None:
        number = event.seq if seq is None else seq
        self.report.problems.append(
            Break(
                self.report.practice_id,
                number,
                event.created_at,
                text,
                None if number is not None else event.pk,
            )
        )

    def link(self, event: Any) -> None:
        if event.seq != self.expected:
            self.linked = False
            if event.seq > self.expected:
                gap = _missing(self.expected, event.seq - 1)
                return self.problem(event, gap, seq=self.expected)
            return self.problem(event, "sequence number repeated or out of order")
        if event.hash != event_hash(event.prev_hash, event):
            self.linked = False
            return self.problem(event, "hash does not match its contents")
        if event.prev_hash != self.prev:
            self.linked = False
            return self.problem(event, "previous-hash mismatch")
        self.expected, self.prev, self.last_time = self.expected + 1, event.hash, event.created_at
        if self.anchor is not None and event.seq == self.anchor.seq:
            self.anchor_reached = True
            if event.hash != self.anchor.hash:
                self.problem(event, "rewritten: its hash is not the anchored one")
        return None

    def signature(self, event: Any) -> None:
        report = self.report
        if event.mac is None:
            if report.first_signed is not None or event.seq is None:
                self.problem(event, "no signature, though signing began before it was written")
            else:
                report.unsigned += 1
            return
        if report.first_signed is None and event.seq is not None:
            report.first_signed = event.seq
        secret = self.keys.secret(event.key_id or "")
        if secret is None:
            report.unverifiable[event.key_id or ""] += 1
            return
        if not hmac.compare_digest(event.mac, mac(secret, event.key_id, signed_text(event))):
            self.problem(event, "signature does not match its contents (changed without the key)")

    def event(self, event: Any) -> None:
        self.report.events += 1
        if self.linked:
            self.link(event)
        self.signature(event)

    def pending(self, event: Any) -> None:
        self.report.unsealed.append(event.pk)
        self.signature(event)

    def finish(self, head: tuple[int, str] | None) -> ChainReport:
        report = self.report
        last = self.expected - 1
        if report.first_signed is None and report.unsigned:
            report.first_signed = last + 1
        if self.linked:
            end = Break(report.practice_id, last, self.last_time, "")
            if head is None:
                if report.events:
                    report.problems.append(_at(end, "the chain head is missing"))
            elif head[0] > last:
                gap = _missing(last + 1, head[0]) + " (at the end)"
                report.problems.append(_at(end, gap, seq=last + 1))
            elif head[0] == last and head[1] != self.prev:
                report.problems.append(_at(end, "previous-hash mismatch (chain head)"))
        anchor = self.anchor
        if anchor is not None and not self.anchor_reached and self.linked:
            report.problems.append(
                Break(
                    report.practice_id,
                    anchor.seq,
                    None,
                    f"the anchored event is gone (anchor line {anchor.line}): the chain "
                    f"ends at seq {last}, so events up to {anchor.seq} were removed",
                )
            )
        return report


def _at(end: Break, problem: str, *, seq: int | None = None) -> Break:
    return Break(end.practice_id, end.seq if seq is None else seq, end.created_at, problem)


_FIELDS = (*HASHED_FIELDS, "prev_hash", "hash", "mac", "key_id")


def _events(practice_id: int | None, *, sealed: bool) -> Iterable[Any]:
    same_chain = Q(practice_id__isnull=True) if practice_id is None else Q(practice_id=practice_id)
    events = AuditEvent.objects.filter(same_chain, seq__isnull=not sealed)
    return events.order_by("seq" if sealed else "id").only(*_FIELDS).iterator(chunk_size=2000)


def verify_all(
    keys: KeyRing,
    practice_ids: list[int | None] | None = None,
    anchors: dict[int | None, Anchor] | None = None,
) -> Iterator[ChainReport]:
    """Verify every chain (or the given practices'), one report per chain. Writes nothing."""
    anchors = anchors or {}
    heads = {h.chain: (h.last_seq, h.last_hash) for h in AuditChainHead.objects.all()}
    if practice_ids is None:
        present: set[int | None] = set(
            AuditEvent.objects.values_list("practice_id", flat=True).distinct()
        )
        present |= {None if key == NO_PRACTICE else key for key in heads}
        present |= set(anchors)
        practice_ids = sorted(present, key=lambda p: (p is not None, p or 0))
    for practice_id in practice_ids:
        walk = _Walk(practice_id, keys, anchors.get(practice_id))
        for event in _events(practice_id, sealed=True):
            walk.event(event)
        for event in _events(practice_id, sealed=False):
            walk.pending(event)
        yield walk.finish(heads.get(chain_key(practice_id)))


def heads() -> list[tuple[int | None, int, str]]:
    """Each chain's newest sealed event: (practice id, seq, hash)."""
    tops = (
        AuditEvent.objects.filter(seq__isnull=False)
        .values("practice_id")
        .annotate(top=Max("seq"))
        .values_list("practice_id", "top")
    )
    found = []
    for practice_id, top in tops:
        same_chain = (
            Q(practice_id__isnull=True) if practice_id is None else Q(practice_id=practice_id)
        )
        digest = AuditEvent.objects.filter(same_chain, seq=top).values_list("hash", flat=True)
        found.append((practice_id, top, digest.get() or ""))
    return sorted(found, key=lambda h: (h[0] is not None, h[0] or 0))
