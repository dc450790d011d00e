"""Make a profile's automatic points agree with what the rules give, exactly once.

For each (appointment, rule) pair the rules either give the rule's amount
(negative for a deduction) or nothing; what the pair has in effect is the sum
of its AutoAward rows. The difference is posted as one ledger entry of kind
"auto" that names the rule and the appointment, under the profile's lock, so
a replay or a second event for the same patient finds the difference already
made and posts nothing. The amount of a pair is fixed by its first payment:
changing a rule's points changes visits to come, not visits already paid.

A take-back never takes the balance below zero: it takes what the balance
allows and records the rest as uncollected ("could not take back N points"),
which a later change in the patient's favour forgives before it pays. A pair
whose entry staff reversed by hand is theirs: the rules leave it alone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Min

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.automations import rules
from rewardshub.automations.models import (
    DEDUCTIONS,
    Appointment,
    AutoAward,
    AutoRule,
    AutoSettings,
    Trigger,
)
from rewardshub.cards.models import Card
from rewardshub.patients.models import Profile, ProfileKind
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, LedgerEntry
from rewardshub.practices.models import Practice

# Who the ledger says gave automatic points.
AUTOMATIC = Actor.system("Automatic points")


@dataclass
class Change:
    rule: AutoRule
    appointment: Appointment | None
    points: int
    uncollected: int


def practice_zone(practice: Practice) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(practice.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def auto_settings(practice: Practice) -> AutoSettings:
    found = AutoSettings.objects.filter(practice=practice).first()
    return found if found is not None else AutoSettings(practice=practice)


def is_excluded(practice: Practice, profile: Profile, settings: AutoSettings) -> bool:
    if settings.pk is None:
        return False
    return settings.excluded_tags.filter(profiles=profile).exists()


def payable_from(practice: Practice, profile: Profile, settings: AutoSettings) -> dt.date | None:
    """The first day whose visits earn automatic points: the day the patient's
    card was connected, or the practice's earlier "visits since" date. None
    for a profile with no card (a chart the PMS synced before any card)."""
    if profile.kind != ProfileKind.MEMBER:
        return None
    first = Card.objects.filter(profile=profile).aggregate(first=Min("activated_at"))["first"]
    day = (first or profile.created_at).astimezone(practice_zone(practice)).date()
    if settings.visits_since is not None:
        day = min(day, settings.visits_since)
    return day


def as_visit(appointment: Appointment) -> rules.Visit:
    return rules.Visit(
        key=appointment.pk,
        starts_at=appointment.starts_at,
        status=appointment.status,
        length_minutes=appointment.length_minutes,
        type_code=appointment.type_code,
        confirmed=appointment.confirmed,
        arrived_at=appointment.arrived_at,
        completed_at=appointment.completed_at,
        booked_at=appointment.booked_at,
        deleted=appointment.deleted_at is not None,
    )


def as_rule(rule: AutoRule) -> rules.Rule:
    return rules.Rule(
        key=rule.pk,
        trigger=rule.trigger,
        points=rule.points,
        appointment_types=frozenset(rule.appointment_types or ()),
        daily_limit=rule.daily_limit,
        grace_minutes=rule.grace_minutes,
        early_minutes=rule.early_minutes,
        window_hours=rule.window_hours,
        active_from=rule.active_from,
    )


def appointment_rules(practice: Practice) -> list[AutoRule]:
    triggers = [t.value for t in Trigger if t.value in _APPOINTMENT]
    return list(AutoRule.objects.filter(practice=practice, enabled=True, trigger__in=triggers))


_APPOINTMENT = {
    Trigger.KEPT,
    Trigger.ON_TIME,
    Trigger.EARLY,
    Trigger.LATE,
    Trigger.MISSED,
    Trigger.CONFIRMED,
    Trigger.NEXT_BOOKED,
}


def _sign(rule: AutoRule) -> int:
    return -1 if rule.trigger in DEDUCTIONS else 1


def describe(rule: AutoRule, appointment: Appointment | None, practice: Practice) -> str:
    label = rule.get_trigger_display()
    if appointment is None:
        return label
    day = appointment.starts_at.astimezone(practice_zone(practice))
    what = appointment.type_label or "appointment"
    return f"{label}: {what} on {day:%b} {day.day}, {day.year}"


def reconcile(practice: Practice, profile: Profile, *, actor: Actor) -> list[Change]:
    """Post what the profile's appointments earn and have not had, or take back
    what they had and no longer earn. Runs in the caller's transaction."""
    profile = lock_profile(practice, profile)
    settings = auto_settings(practice)
    if is_excluded(practice, profile, settings):
        return []
    enabled = {rule.pk: rule for rule in appointment_rules(practice)}
    if not enabled and not AutoAward.objects.filter(profile=profile).exists():
        return []
    appointments = {a.pk: a for a in Appointment.objects.filter(profile=profile)}
    pairs = rules.qualifying(
        [as_rule(rule) for rule in enabled.values()],
        [as_visit(a) for a in appointments.values()],
        practice_zone(practice),
        payable_from(practice, profile, settings),
    )
    effect: dict[tuple[int, int], int] = defaultdict(int)
    owed: dict[tuple[int, int], int] = defaultdict(int)
    amount: dict[tuple[int, int], int] = {}
    entries: dict[int, tuple[int, int]] = {}
    for award in AutoAward.objects.filter(profile=profile, appointment__isnull=False):
        assert award.appointment_id is not None
        pair = (award.appointment_id, award.rule_id)
        effect[pair] += award.points - award.uncollected
        owed[pair] += award.uncollected
        amount.setdefault(pair, abs(award.points - award.uncollected))
        if award.entry_id is not None:
            entries[award.entry_id] = pair
    by_staff = {
        entries[reversed_id]
        for reversed_id in LedgerEntry.objects.filter(reverses_id__in=list(entries)).values_list(
            "reverses_id", flat=True
        )
    }
    changes: list[Change] = []
    for appointment_pk in sorted(appointments):
        for rule_pk, rule in sorted(enabled.items()):
            pair = (appointment_pk, rule_pk)
            if pair in by_staff:
                continue
            wanted = _sign(rule) * amount.get(pair, rule.points) if pair in pairs else 0
            delta = wanted - effect[pair]
            if delta:
                changes.append(
                    _apply(practice, profile, rule, appointments[appointment_pk], delta, owed[pair])
                )
    if changes:
        record_event(
            practice=practice,
            actor=actor,
            action="points.auto",
            profile=profile,
            detail={
                "changes": [
                    {"rule": c.rule.trigger, "points": c.points, "uncollected": c.uncollected}
                    for c in changes
                ],
                "balance": profile.points_balance,
            },
        )
    return changes


def _apply(
    practice: Practice,
    profile: Profile,
    rule: AutoRule,
    appointment: Appointment,
    delta: int,
    owed: int,
) -> Change:
    if delta > 0:
        forgiven = min(delta, owed)
        points, uncollected = delta - forgiven, -forgiven
    else:
        points = -min(-delta, profile.points_balance)
        uncollected = -delta + points
    entry = None
    if points:
        description = describe(rule, appointment, practice)
        if rule.trigger in DEDUCTIONS and points > 0:
            description = f"Given back: {description}"
        elif rule.trigger not in DEDUCTIONS and points < 0:
            description = f"Taken back: {description}"
        entry = post(
            practice=practice,
            profile=profile,
            points=points,
            kind=EntryKind.AUTO,
            actor=AUTOMATIC,
            description=description,
        )
    AutoAward.objects.create(
        practice=practice,
        profile=profile,
        rule=rule,
        appointment=appointment,
        entry=entry,
        points=points,
        uncollected=uncollected,
    )
    return Change(rule, appointment, points, uncollected)
