"""The Sync log: one SyncEvent and one "pms.<action>" audit event per chart a call touched.

Each call's rows are written here, one chart at a time (`record_sync`) or
many as plain values in one statement each (`SyncLogRows`: batch sync and
appointment batches), both worded by decisions.py. A chart whose write has
an audit event of its own (an appointment written) needs no second one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import EventRows, build_event, prepare_events, record_events
from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.errors import ActionError
from rewardshub.fastsql import Rows, insert, prepare
from rewardshub.integrations.caller import Caller
from rewardshub.integrations.decisions import (
    CHART_ID_LENGTH,
    PMS_USER_LENGTH,
    sync_audit_detail,
)
from rewardshub.integrations.models import SyncEvent, SyncOutcome
from rewardshub.patients.models import Profile


def sync_rows(
    caller: Caller,
    chart_id: str,
    action: str,
    outcome: str,
    profile: Profile | None,
    message: str = "",
    error: str = "",
) -> tuple[SyncEvent, AuditEvent]:
    """The Sync log row and the audit row of one call, unsaved."""
    event = SyncEvent(
        practice=caller.practice,
        key=caller.key,
        system=caller.system,
        chart_id=chart_id[:CHART_ID_LENGTH],
        profile=profile,
        action=action,
        outcome=outcome,
        error=error,
        message=message,
        pms_user=caller.pms_user[:PMS_USER_LENGTH],
    )
    audit = build_event(
        practice=caller.practice,
        actor=caller.actor,
        profile=profile,
        action=f"pms.{action}",
        outcome=Outcome.FAILED if error else Outcome.OK,
        detail=sync_audit_detail(caller.system, chart_id, outcome, error),
    )
    return event, audit


def record_sync(
    caller: Caller,
    chart_id: str,
    action: str,
    outcome: str,
    profile: Profile | None,
    message: str = "",
    error: str = "",
    *,
    audits: list[AuditEvent] | None = None,
    audited: bool = False,
) -> None:
    """Write the call's Sync log row and audit row; `audits` are the call's other audit
    events not yet written (create_profile's `defer_audit`), written first, in the same
    statement. A call whose write has an audit event of its own (`audited`) needs no
    second one."""
    event, audit = sync_rows(caller, chart_id, action, outcome, profile, message, error)
    insert([event])
    record_events([*(audits or []), *([] if audited else [audit])])


Row = tuple[Rows | EventRows, list[Any]]


class SyncLogRows:
    """Many charts' Sync log rows of one call and their audit rows, as plain values
    (the same values `sync_rows` gives), written in one INSERT each by `write`.
    `audits` takes the call's other audit events too."""

    def __init__(self, caller: Caller, action: str, now: dt.datetime | None = None) -> None:
        self.caller, self.action = caller, action
        self.now = now or timezone.now()
        practice_id = caller.practice.pk
        self.audits = EventRows(practice_id=practice_id, actor=caller.actor, created_at=self.now)
        self.events = Rows(
            SyncEvent,
            {
                "practice_id": practice_id,
                "key_id": caller.key.pk,
                "system": caller.system,
                "action": action,
                "pms_user": caller.pms_user[:PMS_USER_LENGTH],
                "created_at": self.now,
            },
            ("chart_id", "profile_id", "outcome", "error", "message"),
        )

    def rows(
        self,
        chart_id: str,
        outcome: str,
        profile_id: int | None,
        message: str,
        error: str = "",
        *,
        audited: bool = False,
    ) -> list[Row]:
        """One chart's Sync log row and, unless its write is `audited` already, its audit row."""
        chart_id = chart_id[:CHART_ID_LENGTH]
        made: list[Row] = [
            (self.events, self.events.row(chart_id, profile_id, outcome, error, message))
        ]
        if not audited:
            detail = sync_audit_detail(self.caller.system, chart_id, outcome, error)
            made.append(
                (
                    self.audits,
                    self.audits.row(
                        profile_id,
                        f"pms.{self.action}",
                        Outcome.FAILED if error else Outcome.OK,
                        detail,
                    ),
                )
            )
        return made

    @staticmethod
    def keep(rows: list[Row]) -> None:
        """Put rows from `rows` (or a batch's own) in their INSERTs."""
        for insert_to, row in rows:
            insert_to.rows.append(row)

    def write(self) -> None:
        self.audits.write()
        self.events.write()


def log_call(
    caller: Caller,
    chart_id: str,
    action: str,
    outcome: str,
    profile: Profile | None,
    message: str = "",
    error: str = "",
) -> None:
    """Log a call that wrote nothing else (a read, a refusal, a replay) in a write
    transaction of its own that holds nothing but the two INSERTs: their values
    are converted before it begins, so the write lock is held only to write."""
    event, audit = sync_rows(caller, chart_id, action, outcome, profile, message, error)
    log, audits = prepare([event]), prepare_events([audit])
    with transaction.atomic():
        log.write()
        audits.write()


def record_failure(caller: Caller, chart_id: str, action: str, error: ActionError) -> None:
    """Log a refused call (its own transaction: the failed one was rolled back)."""
    log_call(caller, chart_id, action, SyncOutcome.ERROR, None, error.message, error.code)


def record_replay(caller: Caller, chart_id: str, action: str) -> None:
    """Log a repeated request answered from its Idempotency-Key record."""
    log_call(
        caller,
        chart_id,
        action,
        SyncOutcome.REPLAYED,
        None,
        "Repeated request (same Idempotency-Key): answered as the first time, nothing changed.",
    )
