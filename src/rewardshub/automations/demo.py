"""The demo's automatic points (called by rewardshub/demo.py).

The simulated practice pays for kept visits, arriving on time and booking
the next visit from the PMS's appointments and a referral bonus (50, when a
referred friend starts treatment), and every demo practice pays
birthdays (`rewardshub automations run`). The demo menu has no manual
"Birthday" or "Referral" item beside them: it would pay twice.

Idempotent: a rule the practice already has (on or off) is left as it is,
so a second run of `rewardshub demo` changes nothing and staff's own
choices under Settings > Automatic points stay.
"""

from __future__ import annotations

from typing import Any

from rewardshub.audit.actors import Actor
from rewardshub.automations.models import AutoRule, Trigger
from rewardshub.automations.settings_actions import save_rule
from rewardshub.practices.models import Practice

# Trigger -> the rule's values, for the practice the PMS simulator stands in for.
SIMULATED_RULES: dict[str, dict[str, Any]] = {
    Trigger.KEPT: {"points": 5},
    Trigger.ON_TIME: {"points": 3, "grace_minutes": 5},
    Trigger.NEXT_BOOKED: {"points": 5, "window_hours": 24},
    Trigger.BIRTHDAY: {"points": 10},
    # A friend a patient referred who starts treatment (Leads).
    Trigger.REFERRAL: {"points": 50, "referral_stage": "started_treatment"},
}
# Every other demo practice has no PMS appointments: birthdays only.
OTHER_RULES: dict[str, dict[str, Any]] = {Trigger.BIRTHDAY: {"points": 10}}


def ensure_demo_rules(practice: Practice, actor: Actor, *, simulated: bool) -> None:
    have = set(AutoRule.objects.filter(practice=practice).values_list("trigger", flat=True))
    for trigger, values in (SIMULATED_RULES if simulated else OTHER_RULES).items():
        if trigger not in have:
            save_rule(practice=practice, trigger=trigger, enabled=True, actor=actor, **values)
