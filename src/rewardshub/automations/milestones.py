"""Treatment milestones: the rule's points, once per profile, when the chart's
PMS status moves to the status the practice names (e.g. "Debond").

The integration keeps each chart's last PMS status on its link and tells
`statuses_moved` when a call moved it, in the call's transaction: the set
card, the update and the batch (chart by chart or in bulk) alike.
`pay_milestones` pays what is due and unpaid afterwards: `rewardshub
automations run` for every chart, a card connected for its patient. Both
decide through rules.milestone_reached and pay through pay_once (its
AutoAward row, period "", makes it once; excluded tags get nothing). A
chart-only profile (no card) gets nothing until it has a card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef

from rewardshub.automations import rules
from rewardshub.automations.models import AutoAward, AutoRule, Trigger
from rewardshub.automations.once import enabled_rule, pay_once
from rewardshub.automations.pms_hooks import hooks
from rewardshub.cards.models import Card
from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.practices.models import Practice


def milestone_rule(practice: Practice) -> AutoRule | None:
    """The practice's milestone rule if it is switched on and names a status."""
    rule = enabled_rule(practice.pk, Trigger.MILESTONE)
    return rule if rule is not None and rule.milestone_status.strip() else None


def _description(rule: AutoRule) -> str:
    return f"{rule.get_trigger_display()}: {rule.milestone_status.strip()}"


def _has_card(profile: Profile) -> bool:
    return profile.kind == ProfileKind.MEMBER and Card.objects.filter(profile=profile).exists()


def statuses_moved(practice: Practice, moved: Iterable[tuple[Profile, str, dt.datetime]]) -> int:
    """Charts whose PMS status a call just moved: (profile, new status, when). Pays
    the milestone to each patient whose chart reached it, in the caller's
    transaction; reads the rule once, and not at all when only chart-only profiles moved.
    Returns how many were paid."""
    members = [item for item in moved if item[0].kind == ProfileKind.MEMBER]
    if not members:
        return 0
    rule = milestone_rule(practice)
    if rule is None:
        return 0
    paid = 0
    for profile, status, changed_at in members:
        if not rules.milestone_reached(
            status, changed_at, rule.milestone_status, rule.active_from
        ) or not _has_card(profile):
            continue
        if pay_once(practice, profile, rule, "", _description(rule)) is not None:
            paid += 1
    return paid


def pay_milestones(practice: Practice, profile_ids: Collection[int] | None = None) -> int:
    """The milestone for every chart already in the practice's milestone status
    (moved to it since the rule was switched on) whose patient has a card and
    has not had it: a chart-only profile the nightly batch moved that has since got its card,
    or a move whose call paid nothing. `profile_ids`: only these. Each payment
    in its own transaction; returns how many were paid."""
    rule = milestone_rule(practice)
    if rule is None:
        return 0
    seen = hooks.charts_in_status(
        practice, rule.milestone_status.strip(), rule.active_from, profile_ids
    )
    due = {
        item.profile_id
        for item in seen
        if rules.milestone_reached(
            item.status, item.changed_at, rule.milestone_status, rule.active_from
        )
    }
    if not due:
        return 0
    paid_before = AutoAward.objects.filter(
        rule=rule, period="", appointment__isnull=True, profile_id=OuterRef("pk")
    )
    profiles = (
        Profile.objects.filter(
            practice=practice, kind=ProfileKind.MEMBER, merged_into__isnull=True, pk__in=due
        )
        .filter(Exists(Card.objects.filter(profile_id=OuterRef("pk"))))
        .exclude(Exists(paid_before))
        .order_by("pk")
    )
    paid = 0
    for profile in profiles:
        with transaction.atomic():
            if pay_once(practice, profile, rule, "", _description(rule)) is not None:
                paid += 1
    return paid
