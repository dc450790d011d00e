"""Changing the practice's automatic-point rules (Settings > Automatic points)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.automations.models import AutoRule, AutoSettings, Trigger
from rewardshub.errors import ActionError
from rewardshub.patients.models import Tag
from rewardshub.practices.models import Practice

# What a rule may set, with its default on a new rule.
RULE_FIELDS = {
    "points": 1,
    "appointment_types": [],
    "daily_limit": None,
    "grace_minutes": 5,
    "early_minutes": 10,
    "window_hours": 24,
    "milestone_status": "",
}


def save_rule(
    *, practice: Practice, trigger: str, enabled: bool, actor: Actor, **values: Any
) -> AutoRule:
    """Create or change the practice's rule for `trigger`. Switching a rule on
    dates it: visits that started before earn nothing from it."""
    if trigger not in Trigger.values:
        raise ActionError("unknown_trigger", f"“{trigger}” is not a trigger of automatic points.")
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ActionError("unknown_field", f"Rules have no field {', '.join(sorted(unknown))}.")
    if "points" in values and (not isinstance(values["points"], int) or values["points"] < 1):
        raise ActionError("validation_error", "Points must be a whole number of at least 1.")
    if (
        trigger == Trigger.MILESTONE
        and enabled
        and not (values.get("milestone_status") or _current(practice, trigger, "milestone_status"))
    ):
        raise ActionError(
            "milestone_status_required",
            "Name the PMS status that marks the milestone (e.g. Debond) before switching it on.",
        )
    with transaction.atomic():
        rule, _ = AutoRule.objects.select_for_update().get_or_create(
            practice=practice, trigger=trigger
        )
        switched_on = enabled and not rule.enabled
        for name, value in values.items():
            setattr(rule, name, value)
        rule.enabled = enabled
        if switched_on:
            rule.active_from = timezone.now()
        rule.save()
        record_event(
            practice=practice,
            actor=actor,
            action="automations.rule",
            detail={"trigger": trigger, "enabled": enabled, "points": rule.points},
        )
        return rule


def _current(practice: Practice, trigger: str, name: str) -> Any:
    rule = AutoRule.objects.filter(practice=practice, trigger=trigger).first()
    return getattr(rule, name) if rule else None


def save_settings(
    *,
    practice: Practice,
    excluded_tags: list[Tag],
    visits_since: dt.date | None,
    actor: Actor,
) -> AutoSettings:
    """The tags whose patients get no automatic points, and from when visits count."""
    if any(tag.practice_id != practice.pk for tag in excluded_tags):
        raise ActionError("unknown_tag", "One of the tags is not this practice's.")
    with transaction.atomic():
        settings, _ = AutoSettings.objects.select_for_update().get_or_create(practice=practice)
        settings.visits_since = visits_since
        settings.save()
        settings.excluded_tags.set(excluded_tags)
        record_event(
            practice=practice,
            actor=actor,
            action="automations.settings",
            detail={
                "excluded_tags": sorted(tag.name for tag in excluded_tags),
                "visits_since": visits_since.isoformat() if visits_since else None,
            },
        )
        return settings
