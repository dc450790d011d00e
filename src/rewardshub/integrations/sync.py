"""What a PMS asks of the hub about one chart: update and launch (set card is
in set_card.py, status in status.py), and what every call shares: who calls,
the chart's link, the Sync log.

Each call is one action: one transaction, the integration as `actor`, an
audit row, and a SyncEvent for the Sync log. Failures change nothing; the API
records them with `record_failure` after the transaction rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.actions import build_event, prepare_events, record_events
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent, Outcome
from rewardshub.errors import ActionError
from rewardshub.fastsql import insert, prepare
from rewardshub.integrations.launch import create_token
from rewardshub.integrations.models import (
    LaunchView,
    PendingLink,
    PmsLink,
    SyncAction,
    SyncEvent,
    SyncOutcome,
)
from rewardshub.integrations.pending import confirmation_waiting_message, open_confirmation
from rewardshub.integrations.systems import not_synced_message, system_name
from rewardshub.integrations.tagging import Mapped, apply_tags, load_mapping
from rewardshub.patients.actions import create_profile, update_profile
from rewardshub.patients.models import Profile
from rewardshub.practices.models import IntegrationKey, Practice


@dataclass(frozen=True)
class Caller:
    """Who calls: an integration key (practice + PMS system) and the PMS user, if sent."""

    key: IntegrationKey
    pms_user: str = ""
    source_ip: str | None = None

    @property
    def practice(self) -> Practice:
        return self.key.practice

    @property
    def system(self) -> str:
        return self.key.system

    @property
    def actor(self) -> Actor:
        who = self.pms_user or f"key “{self.key.name}”"
        return Actor(
            kind=ActorKind.INTEGRATION,
            label=f"{system_name(self.system)} ({who})",
            source_ip=self.source_ip,
        )


@dataclass
class SyncResult:
    outcome: str
    profile: Profile
    changed: list[str] = field(default_factory=list)
    token: str | None = None
    # What changed, in words ("Email updated from ... to ..."): patient data.
    changes: list[str] = field(default_factory=list)
    # needs_confirmation: the identity fields that differ, and what to do.
    differences: list[str] = field(default_factory=list)
    message: str = ""


def not_synced(system: str) -> ActionError:
    return ActionError("not_synced", not_synced_message(system), status=404)


def names_required() -> ActionError:
    return ActionError(
        "validation_error",
        "first_name and last_name are required to create a new hub patient: "
        "send the chart's first and last name.",
    )


def chart_link(caller: Caller, chart_id: str, *, for_update: bool = False) -> PmsLink | None:
    links = PmsLink.objects.select_related("profile").filter(
        practice=caller.practice, system=caller.system, chart_id=chart_id
    )
    if for_update:
        links = links.select_for_update(of=("self",))
    return links.first()


def sync_rows(
    caller: Caller,
    chart_id: str,
    action: str,
    outcome: str,
    profile: Profile | None,
    message: str = "",
    error: str = "",
) -> tuple[SyncEvent, AuditEvent]:
    """The Sync log row and the audit row of one call, unsaved (batch saves them in bulk)."""
    event = SyncEvent(
        practice=caller.practice,
        key=caller.key,
        system=caller.system,
        chart_id=chart_id[:64],
        profile=profile,
        action=action,
        outcome=outcome,
        error=error,
        message=message,
        pms_user=caller.pms_user[:100],
    )
    actor = caller.actor
    audit = build_event(
        practice=caller.practice,
        actor=actor,
        profile=profile,
        action=f"pms.{action}",
        outcome=Outcome.FAILED if error else Outcome.OK,
        detail={
            "system": caller.system,
            "chart_id": chart_id[:64],
            "outcome": outcome,
            "error": error,
        },
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
) -> None:
    event, audit = sync_rows(caller, chart_id, action, outcome, profile, message, error)
    insert([event])
    record_events([audit])


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
        log.run()
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


def sync_fields(
    caller: Caller, profile: Profile, data: dict[str, Any], mapped: Mapped
) -> list[str]:
    """Apply demographics and mapped tags to a linked profile; names of what changed."""
    return apply_fields(caller.practice, caller.actor, profile, data, mapped)


def apply_fields(
    practice: Practice, actor: Actor, profile: Profile, data: dict[str, Any], mapped: Mapped
) -> list[str]:
    """sync_fields for any actor (staff confirming a link apply the PMS's demographics)."""
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    changed = update_profile(practice=practice, profile=profile, data=data, actor=actor)
    if apply_tags(practice=practice, profile=profile, tags=mapped.tags, actor=actor):
        changed.append("tags")
    return changed


def create_linked_profile(
    caller: Caller,
    chart_id: str,
    data: dict[str, Any],
    mapped: Mapped,
    username: str | None,
    kind: str,
) -> Profile:
    if not data.get("first_name") or not data.get("last_name"):
        raise names_required()
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    profile = create_profile(
        practice=caller.practice,
        data=data,
        actor=caller.actor,
        username=username,
        kind=kind,
        tags=mapped.tags,
    )
    link_chart(caller, chart_id, profile)
    return profile


def link_chart(caller: Caller, chart_id: str, profile: Profile) -> PmsLink:
    return create_link(caller.practice, caller.system, chart_id, profile)


def create_link(practice: Practice, system: str, chart_id: str, profile: Profile) -> PmsLink:
    try:
        with transaction.atomic():
            return PmsLink.objects.create(
                practice=practice,
                system=system,
                chart_id=chart_id,
                profile=profile,
                last_synced_at=timezone.now(),
            )
    except IntegrityError:
        # Only a concurrent sync of the same chart or patient gets here; the
        # checks before saw neither link.
        raise ActionError(
            "sync_conflict",
            "Another sync of this chart or patient ran at the same moment. Try again.",
            status=409,
        ) from None


def update(
    *,
    caller: Caller,
    chart_id: str,
    data: dict[str, Any],
    pms_status: str | None = None,
    office: str | None = None,
) -> SyncResult:
    mapped = load_mapping(caller.practice, caller.system).apply_to(pms_status, office)
    with transaction.atomic():
        link = chart_link(caller, chart_id, for_update=True)
        if link is None:
            raise not_synced(caller.system)
        changed = sync_fields(caller, link.profile, data, mapped)
        link.last_synced_at = timezone.now()
        link.save(update_fields=["last_synced_at"])
        outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
        note = "Changed: " + ", ".join(changed) + "." if changed else "Nothing changed."
        record_sync(caller, chart_id, SyncAction.UPDATE, outcome, link.profile, note)
        return SyncResult(outcome=outcome, profile=link.profile, changed=changed)


def launch(*, caller: Caller, chart_id: str, view: str) -> SyncResult:
    with transaction.atomic():
        link = chart_link(caller, chart_id)
        if link is None:
            waiting = open_confirmation(caller.key.practice_id, caller.system, chart_id)
            if waiting is None:
                raise not_synced(caller.system)
            return _launch_confirmation(caller, chart_id, view, waiting)
        token = create_token(
            practice=caller.practice,
            key=caller.key,
            system=caller.system,
            chart_id=chart_id,
            profile=link.profile,
            view=view,
            pms_user=caller.pms_user,
        )
        record_sync(
            caller,
            chart_id,
            SyncAction.LAUNCH,
            SyncOutcome.LAUNCHED,
            link.profile,
            f"Opened the {LaunchView(view).label.lower()} of hub patient {link.profile.username}.",
        )
        return SyncResult(outcome=SyncOutcome.LAUNCHED, profile=link.profile, token=token)


def _launch_confirmation(
    caller: Caller, chart_id: str, view: str, waiting: PendingLink
) -> SyncResult:
    """Launch while a link waits for staff: the confirmation window, not the profile."""
    message = confirmation_waiting_message(waiting)
    if view != LaunchView.PROFILE:
        # The chart tab shows the hub only once the chart is synced.
        raise ActionError("needs_confirmation", message, status=409)
    token = create_token(
        practice=caller.practice,
        key=caller.key,
        system=caller.system,
        chart_id=chart_id,
        profile=waiting.profile,
        view=LaunchView.CONFIRM,
        pms_user=caller.pms_user,
        confirmation=waiting,
    )
    record_sync(
        caller,
        chart_id,
        SyncAction.LAUNCH,
        SyncOutcome.NEEDS_CONFIRMATION,
        waiting.profile,
        f"Opened the link confirmation for hub patient {waiting.profile.username}.",
    )
    return SyncResult(
        outcome=SyncOutcome.NEEDS_CONFIRMATION,
        profile=waiting.profile,
        token=token,
        differences=list(waiting.differences),
        message=message,
    )
