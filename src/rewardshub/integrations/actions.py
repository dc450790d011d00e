"""Integration settings (keys, the PMS tag mapping, the chart tab's allowed
origins) and staff's answer to a link that waits for confirmation.

One transaction each, taking `actor=` and writing an audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.integrations import changes as change_words
from rewardshub.integrations.decisions import pms_status_seen
from rewardshub.integrations.keys import forget_key, new_token, remember_revoked
from rewardshub.integrations.lead_hooks import has_open_leads
from rewardshub.integrations.lead_hooks import hooks as lead_hooks
from rewardshub.integrations.link_status import pay_moved, status_values
from rewardshub.integrations.links import apply_fields, create_link
from rewardshub.integrations.models import (
    LinkState,
    PendingLink,
    PmsLink,
    SyncAction,
    SyncEvent,
    SyncOutcome,
    SyncWatch,
    TagRule,
    TagRuleField,
)
from rewardshub.integrations.pending import is_expired
from rewardshub.integrations.set_card import (
    chart_linked_elsewhere,
    is_bare_chart_only,
    profile_linked_elsewhere,
)
from rewardshub.integrations.silence import weekdays_text
from rewardshub.integrations.tagging import FIELD_WORDS, load_mapping
from rewardshub.patients.models import Tag
from rewardshub.practices.models import DEFAULT_FHIR_IDENTIFIER_SYSTEM, IntegrationKey, Practice


@dataclass(frozen=True)
class CreatedKey:
    key: IntegrationKey
    # The whole token: shown once, never stored.
    token: str


def create_key(
    *,
    practice: Practice,
    name: str,
    system: str,
    actor: Actor,
    fhir_identifier_system: str = DEFAULT_FHIR_IDENTIFIER_SYSTEM,
) -> CreatedKey:
    made = new_token()
    with transaction.atomic():
        key = IntegrationKey.objects.create(
            practice=practice,
            name=name,
            system=system,
            prefix=made.prefix,
            secret_hash=made.token_hash,
            created_by_id=actor.user_id,
            fhir_identifier_system=fhir_identifier_system,
        )
        detail = {"name": name, "system": system, "prefix": made.prefix}
        if fhir_identifier_system != DEFAULT_FHIR_IDENTIFIER_SYSTEM:
            detail["fhir_identifier_system"] = fhir_identifier_system
        record_event(practice=practice, actor=actor, action="integration_key.create", detail=detail)
    return CreatedKey(key=key, token=made.token)


def set_fhir_identifier_system(
    *, practice: Practice, key: IntegrationKey, identifier_system: str, actor: Actor
) -> IntegrationKey:
    """Which Patient.identifier carries the chart id in the key's FHIR Bundles."""
    with transaction.atomic():
        key = IntegrationKey.objects.select_for_update().get(pk=key.pk, practice=practice)
        before = key.fhir_identifier_system
        if before == identifier_system:
            return key
        key.fhir_identifier_system = identifier_system
        key.save(update_fields=["fhir_identifier_system"])
        record_event(
            practice=practice,
            actor=actor,
            action="integration_key.fhir_identifier_system",
            detail={
                "name": key.name,
                "prefix": key.prefix,
                "before": before,
                "after": identifier_system,
            },
        )
        # Calls find keys through a cache: read the changed row on the next call.
        transaction.on_commit(lambda: forget_key(key.prefix))
    return key


def revoke_key(*, practice: Practice, key: IntegrationKey, actor: Actor) -> IntegrationKey:
    with transaction.atomic():
        key = IntegrationKey.objects.select_for_update().get(pk=key.pk, practice=practice)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            # Calls find keys through a cache: refuse this one from the next call on.
            remember_revoked(key)
            record_event(
                practice=practice,
                actor=actor,
                action="integration_key.revoke",
                detail={"name": key.name, "system": key.system, "prefix": key.prefix},
            )
    return key


def add_tag_rule(
    *, practice: Practice, system: str, field: str, value: str, tag: Tag, actor: Actor
) -> TagRule:
    if tag.practice_id != practice.pk:
        raise ActionError("not_found", "That tag does not exist.", status=404)
    value = value.strip()
    try:
        with transaction.atomic():
            rule = TagRule.objects.create(
                practice=practice, system=system, field=field, value=value, tag=tag
            )
            record_event(
                practice=practice,
                actor=actor,
                action="tag_rule.create",
                detail={"system": system, "field": field, "value": value, "tag": tag.name},
            )
    except IntegrityError:
        raise ActionError(
            "tag_rule_exists",
            f"The {FIELD_WORDS[TagRuleField(field)]} “{value}” already has a tag. "
            "Delete that mapping first to map it to another tag.",
            status=409,
        ) from None
    return rule


def delete_tag_rule(*, practice: Practice, rule: TagRule, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _ = TagRule.objects.filter(pk=rule.pk, practice=practice).delete()
        if deleted:
            record_event(
                practice=practice,
                actor=actor,
                action="tag_rule.delete",
                detail={
                    "system": rule.system,
                    "field": rule.field,
                    "value": rule.value,
                    "tag": rule.tag.name,
                },
            )


def set_frame_ancestors(*, practice: Practice, origins: list[str], actor: Actor) -> None:
    """Store the origins allowed to frame the chart view (already validated)."""
    stored = " ".join(origins)
    with transaction.atomic():
        before = Practice.objects.select_for_update().get(pk=practice.pk).frame_ancestors
        if before == stored:
            return
        Practice.objects.filter(pk=practice.pk).update(frame_ancestors=stored)
        practice.frame_ancestors = stored
        record_event(
            practice=practice,
            actor=actor,
            action="practice.frame_ancestors",
            detail={"before": before.split(), "after": origins},
        )


def save_sync_watch(
    *,
    practice: Practice,
    silence_minutes: int | None,
    opens_at: dt.time | None,
    closes_at: dt.time | None,
    weekdays: list[int],
    actor: Actor,
) -> bool:
    """Store how long the PMS may stay silent and the opening hours it is counted
    in (validated by SyncWatchForm). True when something changed."""
    after = {
        "silence_minutes": silence_minutes,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "weekdays": weekdays_text(set(weekdays)),
    }
    with transaction.atomic():
        # The practice's row first: two first saves at once would otherwise both
        # find no settings and both insert them (PostgreSQL; SQLite's writers
        # already queue on its one write lock).
        list(Practice.objects.select_for_update().filter(pk=practice.pk).values_list("pk"))
        watch = SyncWatch.objects.filter(practice=practice).first()
        if watch is None:
            watch = SyncWatch(practice=practice)
        before = {name: getattr(watch, name) for name in after}
        if before == after:
            return False
        for name, value in after.items():
            setattr(watch, name, value)
        watch.save()
        record_event(
            practice=practice,
            actor=actor,
            action="sync_watch.update",
            detail={"before": _watch_detail(before), "after": _watch_detail(after)},
        )
    return True


def _watch_detail(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.strftime("%H:%M") if isinstance(value, dt.time) else value
        for name, value in values.items()
    }


# -- links waiting for confirmation (set card: the chart and the patient differ) --


@dataclass(frozen=True)
class Confirmed:
    pending: PendingLink
    # What changed on the profile, in words (patient data: for the page only).
    changes: list[str]


def confirmation_closed(pending: PendingLink) -> ActionError:
    if is_expired(pending):
        return ActionError(
            "confirmation_expired",
            "This confirmation expired: nothing was linked. In the PMS, set the card "
            "again (Set Patient Rewards Hub Card #) to start over.",
            status=410,
        )
    done = "linked" if pending.state == LinkState.CONFIRMED else "cancelled"
    return ActionError(
        "confirmation_closed",
        f"This confirmation was already {done} ({pending.decided_by}). Nothing more to do here.",
        status=409,
    )


def _locked_pending(practice: Practice, pending: PendingLink) -> PendingLink:
    locked = (
        PendingLink.objects.select_for_update()
        .select_related("profile")
        .get(pk=pending.pk, practice=practice)
    )
    if locked.state != LinkState.PENDING or is_expired(locked):
        raise confirmation_closed(locked)
    return locked


def _decide(pending: PendingLink, state: str, actor: Actor) -> None:
    pending.state = state
    pending.decided_at = timezone.now()
    pending.decided_by = actor.label[:200]
    pending.data = {}  # the chart's demographics are needed no longer
    pending.save(update_fields=["state", "decided_at", "decided_by", "data"])


def confirm_link(*, practice: Practice, pending: PendingLink, actor: Actor) -> Confirmed:
    """Staff say the chart and the hub patient are the same person: link them, apply
    the chart's demographics (each changed field audited) and write the Sync log."""
    with transaction.atomic():
        pending = _locked_pending(practice, pending)
        profile = pending.profile
        # What may have happened since set card: check again, chart first.
        link = (
            PmsLink.objects.select_for_update(of=("self",))
            .select_related("profile")
            .filter(practice=practice, system=pending.system, chart_id=pending.chart_id)
            .first()
        )
        if (
            link is not None
            and link.profile_id != profile.pk
            and not is_bare_chart_only(link.profile)
        ):
            raise chart_linked_elsewhere(link)
        other = (
            PmsLink.objects.select_related("profile")
            .filter(practice=practice, system=pending.system, profile=profile)
            .exclude(chart_id=pending.chart_id)
            .first()
        )
        if other is not None:
            raise profile_linked_elsewhere(other)
        before = change_words.snapshot(profile)
        data = dict(pending.data)
        pms_status, office = data.pop("pms_status", ""), data.pop("office", "")
        status = pms_status_seen(link.pms_status if link is not None else "", pms_status)
        now = timezone.now()
        if link is None:
            create_link(practice, pending.system, pending.chart_id, profile, status)
        elif link.profile_id != profile.pk or status is not None:
            # The chart's batch-made chart-only profile gives way to the patient staff confirmed.
            link.profile = profile
            link.last_synced_at = now
            values = status_values(status, now)
            for name, value in values.items():
                setattr(link, name, value)
            link.save(update_fields=["profile", "last_synced_at", *values])
        mapped = load_mapping(practice, pending.system).apply_to(pms_status, office)
        changed = apply_fields(practice, actor, profile, data, mapped)
        changes = change_words.describe(before, change_words.snapshot(profile))
        _decide(pending, LinkState.CONFIRMED, actor)
        note = f" Changed: {', '.join(changed)}." if changed else ""
        SyncEvent.objects.create(
            practice=practice,
            key=pending.key,
            system=pending.system,
            chart_id=pending.chart_id,
            profile=profile,
            action=SyncAction.SET_CARD,
            outcome=SyncOutcome.LINKED,
            message=f"{actor.label} confirmed in the hub that the chart is hub patient "
            f"{profile.username}: synced the chart with it.{note}",
            pms_user=pending.pms_user,
        )
        record_event(
            practice=practice,
            actor=actor,
            action="pms.link_confirm",
            profile=profile,
            detail={
                "system": pending.system,
                "chart_id": pending.chart_id,
                "differences": list(pending.differences),
                "fields": changed,
            },
        )
        if status is not None:
            pay_moved(practice, [(profile, status, now)])
        if has_open_leads(practice):
            # The linked patient may be a lead: the window lists the match to confirm.
            lead_hooks.propose(practice, [profile.public_id], actor)
        return Confirmed(pending=pending, changes=changes)


def cancel_link(*, practice: Practice, pending: PendingLink, actor: Actor) -> PendingLink:
    """Staff say the chart is not this hub patient: nothing is linked or changed."""
    with transaction.atomic():
        pending = _locked_pending(practice, pending)
        _decide(pending, LinkState.CANCELLED, actor)
        record_event(
            practice=practice,
            actor=actor,
            action="pms.link_cancel",
            profile=pending.profile,
            detail={"system": pending.system, "chart_id": pending.chart_id},
        )
        return pending


def expire_confirmation(*, practice: Practice, pending: PendingLink, actor: Actor) -> None:
    """Record that a confirmation ran out (found so when opened) and drop its demographics."""
    with transaction.atomic():
        updated = PendingLink.objects.filter(
            pk=pending.pk,
            practice=practice,
            state=LinkState.PENDING,
            expires_at__lte=timezone.now(),
        ).update(state=LinkState.EXPIRED, data={})
        if updated:
            record_event(
                practice=practice,
                actor=actor,
                action="pms.link_expire",
                profile=pending.profile,
                detail={"system": pending.system, "chart_id": pending.chart_id},
            )
