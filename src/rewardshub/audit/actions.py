"""Writing audit events. Called inside the transaction of the action it records."""

from __future__ import annotations

from typing import Any

from rewardshub.audit.actors import Actor
from rewardshub.audit.chain import schedule_seal
from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.fastsql import create
from rewardshub.practices.models import Practice


def record_event(
    *,
    practice: Practice | None,
    actor: Actor,
    action: str,
    profile: Any = None,
    detail: dict[str, Any] | None = None,
    outcome: str = Outcome.OK,
) -> AuditEvent:
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
    # Every read and write of patient data comes through here: one fixed
    # INSERT (fastsql.py says why), then sealed like any other event.
    create(event)
    schedule_seal([event.practice_id])
    return event
