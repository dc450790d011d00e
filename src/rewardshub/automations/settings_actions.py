"""Changing the practice's automatic-point rules (Settings > Automatic points)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.automations.models import AutoRule, AutoSettings, ReferralStage, Trigger
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
    "referral_stage": ReferralStage.STARTED_TREATMENT.value,
}
# The bounds of each number a rule holds: (least, most, what the message calls it).
MAX_POINTS = 100_000
BOUNDS: dict[str, tuple[int, int, str]] = {
    "points": (1, MAX_POINTS, "Points"),
    "daily_limit": (1, 100, "The daily limit"),
    "grace_minutes": (0, 120, "The grace"),
    "early_minutes": (1, 240, "Early minutes"),
    "window_hours": (1, 720, "The window"),
}
CODE_LENGTH = 40  # Appointment.type_code
MAX_CODES = 50
STATUS_LENGTH = 40  # AutoRule.milestone_status
# On time and late share one grace (rules.py: no arrival is both): set on one, it is set on both.
SHARED_GRACE: dict[str, str] = {
    Trigger.ON_TIME.value: Trigger.LATE.value,
    Trigger.LATE.value: Trigger.ON_TIME.value,
}


class InvalidValue(ActionError):
    """A value a rule or the settings cannot hold; `field` names it for the form."""

    def __init__(self, field: str, message: str, code: str = "validation_error") -> None:
        super().__init__(code, message)
        self.field = field


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_rule_values(values: dict[str, Any]) -> None:
    """Refuse a value the rule cannot hold, naming the field and what it takes."""
    for name, (least, most, what) in BOUNDS.items():
        if name not in values or (name == "daily_limit" and values[name] is None):
            continue
        value = values[name]
        if not _whole(value) or not least <= value <= most:
            empty = " (or nothing, for no limit)" if name == "daily_limit" else ""
            raise InvalidValue(
                name, f"{what} must be a whole number from {least} to {most:,}{empty}."
            )
    codes = values.get("appointment_types", [])
    if not isinstance(codes, list) or not all(
        isinstance(code, str) and code and "," not in code and len(code) <= CODE_LENGTH
        for code in codes
    ):
        raise InvalidValue(
            "appointment_types",
            f"Appointment types are codes of at most {CODE_LENGTH} characters, "
            "separated by commas.",
        )
    if len(codes) > MAX_CODES:
        raise InvalidValue(
            "appointment_types", f"A rule names at most {MAX_CODES} appointment types."
        )
    status = values.get("milestone_status", "")
    if not isinstance(status, str) or len(status) > STATUS_LENGTH:
        raise InvalidValue(
            "milestone_status", f"The milestone status has at most {STATUS_LENGTH} characters."
        )
    stage = values.get("referral_stage", ReferralStage.STARTED_TREATMENT.value)
    if stage not in ReferralStage.values:
        stages = ", ".join(str(label) for label in ReferralStage.labels)
        raise InvalidValue("referral_stage", f"Pick the stage that pays the bonus: {stages}.")


def save_rule(
    *, practice: Practice, trigger: str, enabled: bool, actor: Actor, **values: Any
) -> AutoRule:
    """Create or change the practice's rule for `trigger`. Switching a rule on
    dates it: visits that started before earn nothing from it. The grace of on
    time is the grace of late too: it is saved on both."""
    if trigger not in Trigger.values:
        raise ActionError("unknown_trigger", f"“{trigger}” is not a trigger of automatic points.")
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ActionError("unknown_field", f"Rules have no field {', '.join(sorted(unknown))}.")
    if not isinstance(enabled, bool):
        raise InvalidValue("enabled", "Say whether the rule is on with yes or no.")
    check_rule_values(values)
    status = (
        values["milestone_status"]
        if "milestone_status" in values
        else _current(practice, trigger, "milestone_status")
    )
    if trigger == Trigger.MILESTONE and enabled and not status:
        raise InvalidValue(
            "milestone_status",
            "Name the PMS status that marks the milestone (e.g. Debond) before switching it on.",
            code="milestone_status_required",
        )
    with transaction.atomic():
        partner = SHARED_GRACE.get(trigger) if "grace_minutes" in values else None
        if partner is not None:
            _lock_pair(practice, trigger, partner, values["grace_minutes"])
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
        detail = {name: getattr(rule, name) for name in sorted(values)}
        record_event(
            practice=practice,
            actor=actor,
            action="automations.rule",
            detail={"trigger": trigger, "enabled": enabled, **detail, "points": rule.points},
        )
        return rule


def _lock_pair(practice: Practice, trigger: str, partner: str, grace: int) -> None:
    """Lock on time and late in one order (so two saves cannot wait on each other)
    and give the partner the grace; a partner not made yet is made, switched off."""
    for name in (trigger, partner):
        AutoRule.objects.get_or_create(practice=practice, trigger=name)
    pair = AutoRule.objects.select_for_update().filter(
        practice=practice, trigger__in=(trigger, partner)
    )
    for rule in pair.order_by("trigger"):
        if rule.trigger == partner and rule.grace_minutes != grace:
            rule.grace_minutes = grace
            rule.save(update_fields=["grace_minutes"])


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
        raise InvalidValue(
            "excluded_tags", "One of the tags is not this practice's.", code="unknown_tag"
        )
    if visits_since is not None and (
        not isinstance(visits_since, dt.date) or isinstance(visits_since, dt.datetime)
    ):
        raise InvalidValue("visits_since", "“Count visits since” must be a date, e.g. 2026-01-31.")
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
