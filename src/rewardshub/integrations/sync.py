"""What a PMS asks of the hub about one chart: update, launch, status (set card
is in set_card.py), and what every call shares: who calls, the chart's link,
the Sync log.

Each call is one action: one transaction, the integration as `actor`, an
audit row, and a SyncEvent for the Sync log. Failures change nothing; the API
records them with `record_failure` after the transaction rolled back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.actions import build_event, prepare_events, record_events
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind, AuditEvent, Outcome
from rewardshub.cards.models import CardState
from rewardshub.errors import ActionError
from rewardshub.fastsql import Select, insert, prepare
from rewardshub.integrations.launch import create_token
from rewardshub.integrations.models import (
    LaunchView,
    PmsLink,
    SyncAction,
    SyncEvent,
    SyncOutcome,
)
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
    if mapped.location is not None:
        data = {**data, "location": mapped.location}
    changed = update_profile(
        practice=caller.practice, profile=profile, data=data, actor=caller.actor
    )
    if apply_tags(practice=caller.practice, profile=profile, tags=mapped.tags, actor=caller.actor):
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
    try:
        with transaction.atomic():
            return PmsLink.objects.create(
                practice=caller.practice,
                system=caller.system,
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
            raise not_synced(caller.system)
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


@dataclass(frozen=True)
class Status:
    """What the status call answers: the link and a summary of its profile."""

    linked: bool
    username: str = ""
    profile_id: str = ""
    points: int = 0
    last_sync: dt.datetime | None = None
    card_state: str = "none"
    tags: list[str] = field(default_factory=list)


# The two reads of the status call, written once (fastsql.py says why).
_STATUS_CHART = Select(
    """
    SELECT p.id, p.username, p.public_id, p.points_balance, l.last_synced_at,
           EXISTS (SELECT 1 FROM cards_card c
                   WHERE c.practice_id = l.practice_id AND c.profile_id = p.id
                     AND c.state = %s)
    FROM integrations_pmslink l
    JOIN patients_profile p ON p.id = l.profile_id AND p.practice_id = l.practice_id
    WHERE l.practice_id = %s AND l.system = %s AND l.chart_id = %s
    """,
    [
        (Profile, "id"),
        (Profile, "username"),
        (Profile, "public_id"),
        (Profile, "points_balance"),
        (PmsLink, "last_synced_at"),
        None,
    ],
)
_STATUS_TAGS = Select(
    """
    SELECT t.name FROM patients_profiletag pt
    JOIN patients_tag t ON t.id = pt.tag_id
    JOIN patients_taggroup g ON g.id = t.group_id
    WHERE pt.practice_id = %s AND pt.profile_id = %s
    ORDER BY g.position, t.position, t.name
    """,
    [None],
)


def status(*, caller: Caller, chart_id: str) -> Status:
    """The chart's sync state. A read of patient data, so it is logged like the others.

    The busiest call of all (every chart the front desk opens), so it reads
    with two fixed statements and keeps the write transaction to the two log
    rows: the read needs no lock, and the log says what was answered.
    """
    practice_id = caller.key.practice_id
    row = _STATUS_CHART.one([CardState.ACTIVE, practice_id, caller.system, chart_id])
    if row is None:
        log_call(caller, chart_id, SyncAction.STATUS, SyncOutcome.REPORTED, None, "Not synced.")
        return Status(linked=False)
    profile_pk, username, public_id, points, last_sync, has_card = row
    tags = [name for (name,) in _STATUS_TAGS.rows([practice_id, profile_pk])]
    profile = Profile(pk=profile_pk, practice_id=practice_id, username=username)
    log_call(
        caller,
        chart_id,
        SyncAction.STATUS,
        SyncOutcome.REPORTED,
        profile,
        f"Synced with hub patient {username}.",
    )
    return Status(
        linked=True,
        username=username,
        profile_id=str(public_id),
        points=points,
        last_sync=last_sync,
        card_state="active" if has_card else "none",
        tags=tags,
    )
