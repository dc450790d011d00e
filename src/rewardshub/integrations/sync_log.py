"""The Sync log: one SyncEvent and one "pms.<action>" audit event per chart a call touched.

Each call's rows are written here (one chart) or by batch.py (many, in one
statement each), both worded by decisions.py.
"""

from __future__ import annotations

from django.db import transaction

from rewardshub.audit.actions import build_event, prepare_events, record_events
from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.errors import ActionError
from rewardshub.fastsql import insert, prepare
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
) -> None:
    """Write the call's Sync log row and audit row; `audits` are the call's other audit
    events not yet written (create_profile's `defer_audit`), written first, in the same
    statement."""
    event, audit = sync_rows(caller, chart_id, action, outcome, profile, message, error)
    insert([event])
    record_events([*(audits or []), audit])


def record_syncs(
    caller: Caller, rows: list[tuple[str, str, str, Profile | None, str, str]]
) -> None:
    """`record_sync` for many calls' rows at once: (chart id, action, outcome,
    profile, message, error) each; one INSERT for the Sync log, one for the audit."""
    made = [sync_rows(caller, *row) for row in rows]
    insert([event for event, _ in made])
    record_events([audit for _, audit in made])


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
