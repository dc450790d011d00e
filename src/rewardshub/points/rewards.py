"""Rewards paid at once or held in the Pending rewards queue, and the queue's decisions.

Every reward that is not a menu item goes through `pay_or_hold`: misc points,
referral bonuses, contest prizes, group awards and QR codes. The practice
chooses per kind whether such a reward is paid at once or waits for an owner
or admin (Settings > Reward rules); misc points keep their own rule (they wait
when the practice asks for approval, unless an owner or admin gives them).
A held reward is paid through the ledger when it is approved, or voided with
a reason; either way it is decided once.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError, idempotency_key_reused
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import LedgerKey, lock_for_award, lock_profile, post, same_person
from rewardshub.points.models import (
    EntryKind,
    LedgerEntry,
    PendingAward,
    RewardKind,
    RewardSettings,
)
from rewardshub.practices.models import SETTINGS_ROLES, Location, Practice
from rewardshub.practices.reads import setting

MAX_REWARD_POINTS = 100_000
# The bounds of the gift limits a practice sets.
MAX_GIFT_LIMIT = 100_000
# The kinds a practice may hold in the queue from Settings > Reward rules
# (misc is set on the Practice page, with its approval rule).
HELD_KINDS = (RewardKind.REFERRAL, RewardKind.CONTEST, RewardKind.GROUP, RewardKind.QR)

# Sent inside decide_pending's transaction once a held reward is approved or
# voided (practice=, pending=, approved=, actor=), so the app that held it can follow
# the decision (a referral's lead learns its bonus was paid). A receiver that
# fails undoes the decision.
reward_decided = Signal()


def reward_settings(practice: Practice) -> RewardSettings:
    """The practice's settings, or the defaults (unsaved) when it has none yet."""
    found = RewardSettings.objects.filter(practice=practice).first()
    return found if found is not None else RewardSettings(practice=practice)


def holds(practice: Practice, kind: str, role: str | None = None) -> bool:
    """Whether a reward of this kind waits in the queue. Misc points wait when the
    practice asks for approval and the giver is not an owner or admin."""
    if kind == RewardKind.MISC:
        # A PMS call's practice is a reference by id: practices.reads.setting.
        return role not in SETTINGS_ROLES and bool(setting(practice, "misc_requires_approval"))
    return reward_settings(practice).holds(kind)


def _audit_action(kind: str, what: str) -> str:
    # Misc points keep the names their audit rows always had.
    if kind == RewardKind.MISC:
        return {
            "paid": "points.misc",
            "held": "points.misc_requested",
            "approved": "points.misc_approved",
            "voided": "points.misc_voided",
        }[what]
    return f"points.reward_{what}"


def _entry_kind(kind: str) -> str:
    if kind == RewardKind.MISC:
        return EntryKind.ADJUST
    # The referral bonus is a rule of automatic points, reported with them.
    if kind == RewardKind.REFERRAL:
        return EntryKind.AUTO
    return EntryKind.AWARD


def _held_before(practice: Practice, profile: Profile, key: LedgerKey) -> PendingAward | None:
    found = PendingAward.objects.filter(practice=practice, idempotency_key=key.entry_key(0)).first()
    if found is not None and not same_person(profile, {found.profile_id}):
        raise idempotency_key_reused()
    return found


def pay_or_hold(
    *,
    practice: Practice,
    profile: Profile,
    kind: str,
    points: int,
    description: str,
    actor: Actor,
    source_label: str = "",
    idempotency: LedgerKey | None = None,
    location: Location | None = None,
    role: str | None = None,
) -> LedgerEntry | PendingAward:
    """Pay a reward through the ledger now, or hold it in the Pending rewards queue,
    as the practice chose for its kind. `role` is the giver's (misc points only).

    With `idempotency`, a repeat returns what the first call left (the entry, or
    the held reward however it was decided since) and pays nothing again.
    """
    if kind not in RewardKind.values:
        raise ValueError(f"Unknown reward kind {kind!r}")
    if not 1 <= points <= MAX_REWARD_POINTS:
        raise ActionError(
            "invalid_points", f"A reward is between 1 and {MAX_REWARD_POINTS:,} points."
        )
    description = description.strip()
    if not description:
        raise ActionError("description_required", "Say why these points are given.")
    with transaction.atomic():
        profile, replay = lock_for_award(practice, profile, idempotency)
        if replay:
            return replay[0]
        wait = holds(practice, kind, role)
        # Misc points pay without this read (their statement budget); a held reward
        # paid later has no entry with the key, so its row answers the repeat.
        if idempotency is not None and (wait or kind != RewardKind.MISC):
            before = _held_before(practice, profile, idempotency)
            if before is not None:
                return before
        detail: dict[str, object] = {"points": points}
        if kind != RewardKind.MISC:
            detail.update(kind=kind, source=source_label)
        if wait:
            return hold(
                practice=practice,
                profile=profile,
                kind=kind,
                points=points,
                description=description,
                actor=actor,
                source_label=source_label,
                location=location,
                idempotency_key=idempotency.entry_key(0) if idempotency else None,
            )
        entry = post(
            practice=practice,
            profile=profile,
            points=points,
            kind=_entry_kind(kind),
            actor=actor,
            description=description,
            location=location,
            idempotency_key=idempotency.entry_key(0) if idempotency else None,
            request_hash=idempotency.request_hash if idempotency else None,
        )
        record_event(
            practice=practice,
            actor=actor,
            action=_audit_action(kind, "paid"),
            profile=profile,
            detail={**detail, "balance": profile.points_balance},
        )
        return entry


def hold(
    *,
    practice: Practice,
    profile: Profile,
    kind: str,
    points: int,
    description: str,
    actor: Actor,
    source_label: str = "",
    location: Location | None = None,
    idempotency_key: str | None = None,
) -> PendingAward:
    """Put a reward in the Pending rewards queue, audited: for a caller that decided
    (with `holds`) under the profile's lock that its kind waits."""
    pending = PendingAward.objects.create(
        practice=practice,
        profile=profile,
        kind=kind,
        points=points,
        description=description.strip()[:300],
        source_label=source_label[:200],
        requested_by_label=actor.label[:200],
        requested_by_id=actor.user_id,
        location=location,
        idempotency_key=idempotency_key,
    )
    detail: dict[str, object] = {"points": points}
    if kind != RewardKind.MISC:
        detail.update(kind=kind, source=source_label)
    record_event(
        practice=practice,
        actor=actor,
        action=_audit_action(kind, "held"),
        profile=profile,
        detail=detail,
    )
    return pending


def decide_pending(
    *, practice: Practice, pending: PendingAward, approve: bool, actor: Actor, reason: str = ""
) -> PendingAward:
    """Approve a held reward (paid now, in the name of who asked for it) or void it
    with a reason (nothing is paid). A reward is decided once."""
    reason = " ".join(reason.split())
    if not approve and not reason:
        raise ActionError("reason_required", "Say why this reward is voided. Nothing was changed.")
    with transaction.atomic():
        pending = PendingAward.objects.select_for_update().get(pk=pending.pk, practice=practice)
        if pending.decision != PendingAward.Decision.PENDING:
            raise ActionError(
                "already_decided",
                f"This award was already {pending.get_decision_display().lower()}.",
                status=409,
            )
        profile = lock_profile(practice, pending.profile)
        if approve:
            pending.entry = post(
                practice=practice,
                profile=profile,
                points=pending.points,
                kind=_entry_kind(pending.kind),
                actor=Actor(
                    kind=actor.kind,
                    label=pending.requested_by_label,
                    user_id=pending.requested_by_id,
                ),
                description=f"{pending.description} (approved by {actor.label})",
                location=pending.location,
            )
        pending.decision = (
            PendingAward.Decision.APPROVED if approve else PendingAward.Decision.VOIDED
        )
        pending.decided_by_label = actor.label[:200]
        pending.decided_at = timezone.now()
        pending.void_reason = "" if approve else reason[:300]
        pending.save(
            update_fields=["entry", "decision", "decided_by_label", "decided_at", "void_reason"]
        )
        detail: dict[str, object] = {"points": pending.points}
        if pending.kind != RewardKind.MISC:
            detail["kind"] = pending.kind
        if approve:
            detail["balance"] = profile.points_balance
        else:
            detail["reason"] = pending.void_reason
        record_event(
            practice=practice,
            actor=actor,
            action=_audit_action(pending.kind, "approved" if approve else "voided"),
            profile=profile,
            detail=detail,
        )
        reward_decided.send(
            sender=PendingAward, practice=practice, pending=pending, approved=approve, actor=actor
        )
        return pending


def save_reward_settings(
    *,
    practice: Practice,
    held: set[str],
    gift_max_points: int,
    gift_daily_max_points: int,
    actor: Actor,
) -> list[str]:
    """Save which kinds wait in the queue and the gift limits; return the fields changed."""
    if not held <= {str(kind) for kind in HELD_KINDS}:
        raise ActionError("unknown_kind", "Choose among the kinds of rewards listed.")
    for value, what in ((gift_max_points, "A gift"), (gift_daily_max_points, "A day's gifts")):
        if not 1 <= value <= MAX_GIFT_LIMIT:
            raise ActionError(
                "invalid_limit", f"{what} may be limited to 1 to {MAX_GIFT_LIMIT:,} points."
            )
    if gift_daily_max_points < gift_max_points:
        raise ActionError(
            "invalid_limit",
            "The limit per day cannot be lower than the limit per gift: "
            "raise the daily limit or lower the gift limit.",
        )
    with transaction.atomic():
        current, _ = RewardSettings.objects.select_for_update().get_or_create(practice=practice)
        wanted: dict[str, object] = {f"hold_{kind}": kind in held for kind in HELD_KINDS}
        wanted.update(gift_max_points=gift_max_points, gift_daily_max_points=gift_daily_max_points)
        changed = [name for name, value in wanted.items() if getattr(current, name) != value]
        if changed:
            for name in changed:
                setattr(current, name, wanted[name])
            current.save(update_fields=changed)
            record_event(
                practice=practice,
                actor=actor,
                action="points.reward_settings",
                detail={"fields": changed},
            )
        return changed
