"""The referral bonus: a rule of automatic points (Settings > Automatic points,
"Referral bonus"), paid to the patient who referred a lead when the lead
reaches the stage the practice chose (Started treatment unless it chose
another), once per referred lead.

Every payment goes through `pay_referral_bonus`, so a later approval step
(rewards that wait in a queue) changes this one function. It runs in the
caller's transaction with the lead's row locked (the caller moved its
status), so two status changes racing to the stage pay once: the second finds
`bonus_entry` set. The rule's AutoAward row (period "L<lead id>", unique per
referrer and rule) is the database's own guard, and puts the bonus in the
automatic-points reports beside the other rules.

A bonus is not taken back when the lead is later marked lost: it was earned
when the stage was reached. A patient who refers themselves gets nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.automations.ledger import AUTOMATIC
from rewardshub.automations.models import AutoAward, AutoRule, Trigger
from rewardshub.automations.state import auto_settings, is_excluded
from rewardshub.leads.models import STAGE_ORDER, Lead, LeadStatus
from rewardshub.notify import hooks as mail_hooks
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice

# What the referrer's history says (never the friend's name: the ledger is kept
# for good, and the friend's details may be erased).
DESCRIPTION = "Referral bonus: thank you for referring a friend!"


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


def pay_referral_bonus(*, practice: Practice, lead: Lead) -> LedgerEntry | None:
    """Pay the lead's referrer the practice's referral bonus if it is due and
    unpaid; None otherwise. The caller holds the lead's row lock."""
    assert transaction.get_connection().in_atomic_block, "pay_referral_bonus() needs a transaction"
    if lead.referred_by_id is None or lead.bonus_entry_id is not None:
        return None
    if lead.converted_profile_id is not None and lead.converted_profile_id == lead.referred_by_id:
        return None
    rule = referral_rule(practice)
    if rule is None or not stage_reached(lead.status, rule.referral_stage):
        return None
    assert lead.referred_by is not None
    referrer = lock_profile(practice, lead.referred_by)
    if is_excluded(practice, referrer, auto_settings(practice)):
        return None
    period = bonus_period(lead)
    if AutoAward.objects.filter(
        profile=referrer, rule=rule, period=period, appointment__isnull=True
    ).exists():
        return None
    entry = post(
        practice=practice,
        profile=referrer,
        points=rule.points,
        kind=EntryKind.AUTO,
        actor=AUTOMATIC,
        description=DESCRIPTION,
    )
    AutoAward.objects.create(
        practice=practice,
        profile=referrer,
        rule=rule,
        period=period,
        entry=entry,
        points=rule.points,
    )
    Lead.objects.filter(pk=lead.pk).update(bonus_entry=entry, updated_at=timezone.now())
    lead.bonus_entry = entry
    record_event(
        practice=practice,
        actor=AUTOMATIC,
        action="referral.bonus",
        profile=referrer,
        detail={
            "lead": lead.public_id.hex,
            "stage": rule.referral_stage,
            "points": rule.points,
            "balance": referrer.points_balance,
        },
    )
    mail_hooks.referral_bonus_paid(practice.pk, referrer.pk, entry.pk)
    return entry
