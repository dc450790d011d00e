"""The referral bonus: a rule of automatic points (Settings > Automatic points,
"Referral bonus"), paid to the patient who referred a lead when the lead
reaches the stage the practice chose (Started treatment unless it chose
another), once per referred lead.

Every payment goes through `pay_referral_bonus`, and through
`points.rewards.pay_or_hold`: when the practice holds referral bonuses
(Settings > Reward rules) the bonus waits in Pending rewards, linked to the
lead (`bonus_pending`), and is paid when an owner or admin approves it
(`bonus_decided` then links the entry, `bonus_entry`). A voided bonus is
never held or paid again for that lead.

It runs in the caller's transaction with the lead's row locked (the caller
moved its status), so two status changes racing to the stage pay or hold
once: the second finds `bonus_entry` or `bonus_pending` set. Behind that,
the reward's idempotency key (one per lead) is unique per practice in the
ledger and in the queue, and the rule's AutoAward row (period "L<lead id>",
unique per referrer and rule) puts a paid bonus in the automatic-points
reports beside the other rules.

A bonus is not taken back when the lead is later marked lost: it was earned
when the stage was reached. A patient who refers themselves gets nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.automations.ledger import AUTOMATIC
from rewardshub.automations.models import AutoAward, AutoRule, Trigger
from rewardshub.automations.state import is_excluded
from rewardshub.leads.models import STAGE_ORDER, Lead, LeadStatus
from rewardshub.notify import hooks as mail_hooks
from rewardshub.points.ledger import LedgerKey, lock_profile
from rewardshub.points.models import LedgerEntry, PendingAward, RewardKind
from rewardshub.points.rewards import pay_or_hold
from rewardshub.practices.models import Practice

# What the referrer's history says (never the friend's name: the ledger is kept
# for good, and the friend's details may be erased).
DESCRIPTION = "Referral bonus: thank you for referring a friend!"
# The bonus's key is made by the hub, never sent by a client: one fixed hash.
_KEY_HASH = "referral-bonus"


def referral_rule(practice: Practice) -> AutoRule | None:
    return AutoRule.objects.filter(
        practice=practice, trigger=Trigger.REFERRAL, enabled=True
    ).first()


def stage_reached(status: str, stage: str) -> bool:
    """Whether a lead in `status` has reached `stage` (lost reaches nothing)."""
    if status == LeadStatus.LOST or status not in STAGE_ORDER or stage not in STAGE_ORDER:
        return False
    return STAGE_ORDER[LeadStatus(status)] >= STAGE_ORDER[LeadStatus(stage)]


def bonus_period(lead: Lead) -> str:
    return f"L{lead.pk}"


def bonus_key(lead: Lead) -> LedgerKey:
    return LedgerKey(f"referral:{lead.public_id.hex}", _KEY_HASH)


def pay_referral_bonus(*, practice: Practice, lead: Lead) -> LedgerEntry | PendingAward | None:
    """Pay the lead's referrer the practice's referral bonus, or hold it for
    approval, if it is due and was neither paid nor held; None otherwise. The
    caller holds the lead's row lock."""
    assert transaction.get_connection().in_atomic_block, "pay_referral_bonus() needs a transaction"
    if (
        lead.referred_by_id is None
        or lead.bonus_entry_id is not None
        or lead.bonus_pending_id is not None
    ):
        return None
    if lead.converted_profile_id is not None and lead.converted_profile_id == lead.referred_by_id:
        return None
    rule = referral_rule(practice)
    if rule is None or not stage_reached(lead.status, rule.referral_stage):
        return None
    assert lead.referred_by is not None
    referrer = lock_profile(practice, lead.referred_by)
    if is_excluded(practice, referrer):
        return None
    period = bonus_period(lead)
    if AutoAward.objects.filter(
        profile=referrer, rule=rule, period=period, appointment__isnull=True
    ).exists():
        return None
    result = pay_or_hold(
        practice=practice,
        profile=referrer,
        kind=RewardKind.REFERRAL,
        points=rule.points,
        description=DESCRIPTION,
        actor=AUTOMATIC,
        idempotency=bonus_key(lead),
    )
    detail: dict[str, Any] = {
        "lead": lead.public_id.hex,
        "stage": rule.referral_stage,
        "points": rule.points,
    }
    if isinstance(result, PendingAward):
        Lead.objects.filter(pk=lead.pk).update(bonus_pending=result, updated_at=timezone.now())
        lead.bonus_pending = result
        record_event(
            practice=practice,
            actor=AUTOMATIC,
            action="referral.bonus_held",
            profile=referrer,
            detail=detail,
        )
        return result
    _paid(practice, lead, rule, result)
    record_event(
        practice=practice,
        actor=AUTOMATIC,
        action="referral.bonus",
        profile=referrer,
        detail={**detail, "balance": referrer.points_balance},
    )
    return result


def _paid(practice: Practice, lead: Lead, rule: AutoRule, entry: LedgerEntry) -> None:
    """Link the paid entry to the lead and to the rule's AutoAward row."""
    AutoAward.objects.create(
        practice=practice,
        profile_id=entry.profile_id,
        rule=rule,
        period=bonus_period(lead),
        entry=entry,
        points=entry.points,
    )
    Lead.objects.filter(pk=lead.pk).update(bonus_entry=entry, updated_at=timezone.now())
    lead.bonus_entry = entry
    # Paid now or on approval: the referrer's "referral bonus paid" mail, if chosen.
    mail_hooks.referral_bonus_paid(practice.pk, entry.profile_id, entry.pk)


def bonus_decided(
    sender: Any,
    *,
    practice: Practice,
    pending: PendingAward,
    approved: bool,
    actor: Actor,
    **kwargs: Any,
) -> None:
    """Pending rewards decided a held referral bonus (points.rewards.reward_decided),
    in the decision's transaction. Approved: the lead's bonus is the entry paid
    now, so its referrer sees "Bonus paid". Voided: the lead keeps the voided
    reward, so it is never held or paid again."""
    if pending.kind != RewardKind.REFERRAL or not approved:
        return
    lead = (
        Lead.objects.select_for_update(of=("self",))
        .filter(practice=practice, bonus_pending=pending)
        .first()
    )
    if lead is None or lead.bonus_entry_id is not None:
        return
    assert pending.entry is not None
    # The rule as it is now (it may have been switched off since the bonus was held).
    rule = AutoRule.objects.filter(practice=practice, trigger=Trigger.REFERRAL).first()
    if rule is not None:
        _paid(practice, lead, rule, pending.entry)
    else:
        Lead.objects.filter(pk=lead.pk).update(bonus_entry=pending.entry)
    record_event(
        practice=practice,
        actor=actor,
        action="referral.bonus",
        profile=pending.profile,
        detail={"lead": lead.public_id.hex, "points": pending.points, "approved": True},
    )
