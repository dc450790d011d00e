"""The one writer of audit events. Called inside the transaction of the action it records.

Every audit row is inserted here and nowhere else (tests/test_audit_writer.py
checks): each event is signed with the audit key (keyring.py) in the INSERT
that stores it, and its sealing into the practice's chain (chain.py) is
arranged for the end of the transaction, just before its COMMIT, or (EventRows)
done by the INSERT itself when the chain's head is free. An event
written outside a transaction gets one of its own, so the same single
commit carries the event and its link.

- `record_event(...)`: one event, given back with its id.
- `record_events([...])`: many events built with `build_event`, one INSERT.
- `prepare_events([...])`: the same, signed and converted before the
  transaction, so a transaction holding only INSERTs (sync.log_call) holds the
  write lock only to write; `.write()` inside it.
- `EventRows`: a call's events as plain values (no instance per row), for
  rows whose profile id is known only inside the transaction (batch sync),
  linked into the chain by their own INSERT when its head is free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from itertools import repeat
from typing import Any

from django.db import connections, transaction

from rewardshub.audit.actors import Actor
from rewardshub.audit.chain import link_as_written, schedule_seal
from rewardshub.audit.hashing import row_texts, signed_text
from rewardshub.audit.keys import ring
from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.fastsql import Rows, create, prepare
from rewardshub.practices.models import Practice


def build_event(
    *,
    practice: Practice | None,
    actor: Actor,
    action: str,
    profile: Any = None,
    profile_id: int | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = Outcome.OK,
) -> AuditEvent:
    """An unsaved event, for `record_events` or `prepare_events` to sign and write.

    The profile by instance or, where only its id is at hand, by `profile_id`.
    """
    event = AuditEvent(
        practice=practice,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:200],
        profile=profile,
        action=action,
        outcome=outcome,
        detail=detail or {},
        source_ip=actor.source_ip,
    )
    if profile is None and profile_id is not None:
        event.profile_id = profile_id
    return event


def _sign(event: Any) -> None:
    event.key_id, event.mac = ring().sign(signed_text(event))


def record_event(
    *,
    practice: Practice | None,
    actor: Actor,
    action: str,
    profile: Any = None,
    detail: dict[str, Any] | None = None,
    outcome: str = Outcome.OK,
) -> AuditEvent:
    event = build_event(
        practice=practice,
        actor=actor,
        action=action,
        profile=profile,
        detail=detail,
        outcome=outcome,
    )
    _sign(event)
    # Every read and write of patient data comes through here: one fixed
    # INSERT (fastsql.py says why), then sealed like any other event.
    with _one_transaction():
        create(event)
        schedule_seal([event.practice_id])
    return event


# A write of this many events or more (a batch call's) that is not linked as
# it is written is sealed after the request's answer is sent, so the caller
# does not wait for its links.
AFTER_ANSWER = 100
LINK_FIELDS = ("seq", "prev_hash", "hash")
_PENDING = (None, None, None)


def _one_transaction(using: str = "default") -> AbstractContextManager[Any]:
    """The caller's transaction, or one of its own for an event written outside any."""
    if connections[using].in_atomic_block:
        return nullcontext()
    return transaction.atomic(using=using)


class PreparedEvents:
    """Events signed and converted for their INSERT; `write()` inside the transaction."""

    def __init__(self, events: list[AuditEvent], using: str) -> None:
        for event in events:
            _sign(event)
        self.inserts: Rows = prepare(events, using=using)
        self.practice_ids = [event.practice_id for event in events]
        self.using = using

    def write(self) -> int:
        with _one_transaction(self.using):
            count = self.inserts.write()
            if count:
                schedule_seal(
                    self.practice_ids, using=self.using, after_answer=count >= AFTER_ANSWER
                )
        return count


def prepare_events(events: Iterable[AuditEvent], *, using: str = "default") -> PreparedEvents:
    return PreparedEvents(list(events), using)


def record_events(events: Iterable[AuditEvent], *, using: str = "default") -> int:
    """Write many events (from `build_event`) in one statement; their ids stay unset."""
    return prepare_events(events, using=using).write()


class _Values:
    """One batch row's fields under the model's attribute names, for signed_text."""

    practice_id: int
    actor_kind: str
    actor_user_id: int | None
    actor_label: str
    profile_id: int | None
    action: str
    outcome: str
    detail: dict[str, Any]
    source_ip: str | None
    created_at: dt.datetime


class EventRows:
    """One actor's events of one practice, kept as plain values and written in one go.

    `row(profile_id, action, outcome, detail)` gives a row to fill in later
    (its profile id at `position["profile_id"]`) and put in `rows`; `write()`
    signs every row and inserts them all in one statement, linked into the
    chain if its head is free (chain.link_as_written), or else arranges sealing.
    """

    _VARYING = ("profile_id", "action", "outcome", "detail", "mac", "key_id", *LINK_FIELDS)
    position = {"profile_id": 0}

    def __init__(self, *, practice_id: int, actor: Actor, created_at: dt.datetime) -> None:
        self.fixed = _Values()
        self.fixed.practice_id = practice_id
        self.fixed.actor_kind = actor.kind
        self.fixed.actor_user_id = actor.user_id
        self.fixed.actor_label = actor.label[:200]
        self.fixed.source_ip = actor.source_ip
        self.fixed.created_at = created_at
        self.insert = Rows(
            AuditEvent,
            {
                "practice_id": practice_id,
                "actor_kind": actor.kind,
                "actor_user_id": actor.user_id,
                "actor_label": actor.label[:200],
                "source_ip": actor.source_ip,
                "created_at": created_at,
            },
            self._VARYING,
        )
        self.rows: list[list[Any]] = []

    def row(
        self, profile_id: int | None, action: str, outcome: str, detail: dict[str, Any]
    ) -> list[Any]:
        return [profile_id, action, outcome, detail]

    def add(
        self, profile_id: int | None, action: str, outcome: str, detail: dict[str, Any]
    ) -> None:
        self.rows.append(self.row(profile_id, action, outcome, detail))

    def write(self) -> int:
        if not self.rows:
            return 0
        self.fixed.profile_id, self.fixed.action, self.fixed.outcome, self.fixed.detail = (
            None,
            "",
            "",
            {},
        )
        key_id, macs = ring().sign_many(row_texts(self.fixed, self.rows))
        signed = [[*row, mac, key_id] for row, mac in zip(self.rows, macs, strict=True)]
        count = len(signed)
        with _one_transaction():
            links = link_as_written(self.fixed.practice_id, self.fixed, signed)
            for row, link in zip(signed, links or repeat(_PENDING), strict=False):
                self.insert.add(*row, *link)
            self.insert.write()
            if links is None:
                schedule_seal([self.fixed.practice_id], after_answer=count >= AFTER_ANSWER)
        self.rows = []
        return count
