"""Points a rule pays once per profile (welcome, a treatment milestone) or
once a year (birthday): an AutoAward row per (profile, rule, period), unique,
so a retried job or a second card finds it and pays nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.automations.ledger import AUTOMATIC
from rewardshub.automations.models import AutoAward, AutoRule, Trigger
from rewardshub.automations.rules import birthday_due
from rewardshub.automations.state import is_excluded
from rewardshub.notify import hooks as mail_hooks
from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone


def enabled_rule(practice_id: int, trigger: str) -> AutoRule | None:
    return AutoRule.objects.filter(practice_id=practice_id, trigger=trigger, enabled=True).first()


def pay_once(
    practice: Practice, profile: Profile, rule: AutoRule, period: str, description: str
) -> AutoAward | None:
    """Pay the rule to the profile for the period unless it was paid; in the caller's
    transaction. None when it was paid before or the patient is excluded."""
    profile = lock_profile(practice, profile)
    if AutoAward.objects.filter(
        profile=profile, rule=rule, period=period, appointment__isnull=True
    ).exists():
        return None
    if is_excluded(practice, profile):
        return None
    entry = post(
        practice=practice,
        profile=profile,
        points=rule.points,
        kind=EntryKind.AUTO,
        actor=AUTOMATIC,
        description=description,
    )
    award = AutoAward.objects.create(
        practice=practice,
        profile=profile,
        rule=rule,
        period=period,
        entry=entry,
        points=rule.points,
    )
    record_event(
        practice=practice,
        actor=AUTOMATIC,
        action="points.auto",
        profile=profile,
        detail={
            "changes": [{"rule": rule.trigger, "points": rule.points, "uncollected": 0}],
            "balance": profile.points_balance,
        },
    )
    return award


def pay_birthdays(practice: Practice, today: dt.date | None = None) -> int:
    """Birthday points for every member whose birthday week includes today
    (in the practice's time zone); each birthday once. Returns how many paid."""
    rule = enabled_rule(practice.pk, Trigger.BIRTHDAY)
    if rule is None:
        return 0
    today = today or timezone.now().astimezone(practice_zone(practice)).date()
    paid = 0
    members = Profile.objects.filter(
        practice=practice,
        kind=ProfileKind.MEMBER,
        birth_date__isnull=False,
        merged_into__isnull=True,
    ).only("pk", "birth_date", "practice_id")
    for profile in members.iterator():
        assert profile.birth_date is not None
        year = birthday_due(profile.birth_date, today)
        if year is None or year <= profile.birth_date.year:
            continue
        with transaction.atomic():
            award = pay_once(practice, profile, rule, str(year), f"Happy birthday! ({year})")
            if award is not None:
                paid += 1
                mail_hooks.birthday_paid(practice.pk, profile.pk, award.entry_id)
    return paid
