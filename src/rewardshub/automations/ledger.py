"""Make profiles' automatic points agree with what the rules give, exactly once.

For each (appointment, rule) pair the rules either give the rule's amount
(negative for a deduction) or nothing; what the pair has in effect is the sum
of its AutoAward rows. The difference is posted as a ledger entry of kind
"auto" that names the rule and the appointment, under the profile's lock, so
a replay or a second event for the same patient finds the difference already
made and posts nothing. The amount of a pair is fixed by its first payment:
changing a rule's points changes visits to come, not visits already paid.

A take-back never takes the balance below zero: it takes what the balance
allows and records the rest as uncollected ("could not take back N points"),
which a later change in the patient's favour forgives before it pays. A pair
whose entry staff reversed by hand is theirs: the rules leave it alone.

One profile (`reconcile`) and a batch of appointment events (`reconcile_many`)
read (state.py), plan (`plan`, no database) and write (`write_plans`) the
same way; they differ only in how many profiles they hold.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils import timezone

from rewardshub.audit.actions import EventRows
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import Outcome
from rewardshub.automations import rules as rule_words
from rewardshub.automations.models import DEDUCTIONS, Appointment, AutoAward, AutoRule
from rewardshub.automations.state import (
    PracticeRules,
    ProfileState,
    load_states,
    practice_rules,
)
from rewardshub.fastsql import Rows
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import post_many
from rewardshub.points.models import EntryKind
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone

__all__ = ["AUTOMATIC", "Change", "describe", "plan", "reconcile", "reconcile_many", "write_plans"]

# Who the ledger says gave automatic points.
AUTOMATIC = Actor.system("Automatic points")


@dataclass
class Change:
    """One change a rule makes to a profile's points for an appointment."""

    rule: AutoRule
    appointment: Appointment | None
    points: int
    uncollected: int
    profile: Profile | None = None


@cache
def _trigger_labels() -> dict[str, Any]:
    """Each trigger's label (lazy, so each is read in the language of its use):
    get_trigger_display hashes the field's choices on every call, a batch's
    2,000 of them about 25 ms."""
    return dict(AutoRule._meta.get_field("trigger").flatchoices)


def describe(
    rule: AutoRule, appointment: Appointment | None, practice: Practice,
    zone: dt.tzinfo | None = None,
) -> str:
    label = str(_trigger_labels().get(rule.trigger, rule.trigger))
    if appointment is None:
        return label
    day = appointment.starts_at.astimezone(zone or practice_zone(practice))
    what = appointment.type_label or "appointment"
    return f"{label}: {what} on {day:%b} {day.day}, {day.year}"


def _visit(appointment: Appointment) -> rule_words.Visit:
    return rule_words.Visit(
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


def _rule(rule: AutoRule) -> rule_words.Rule:
    return rule_words.Rule(
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


def plan(rules: PracticeRules, state: ProfileState) -> list[Change]:
    """The changes that make the profile's automatic points what the rules give
    (no database). The profile's balance in `state` moves with them."""
    if state.excluded or (not rules.rules and not state.awards):
        return []
    pairs = rule_words.qualifying(
        [_rule(rule) for rule in rules.rules.values()],
        [_visit(a) for a in state.appointments.values()],
        rules.zone,
        state.payable_from,
    )
    effect: dict[tuple[int, int], int] = defaultdict(int)
    owed: dict[tuple[int, int], int] = defaultdict(int)
    amount: dict[tuple[int, int], int] = {}
    by_staff: set[tuple[int, int]] = set()
    for award in state.awards:
        assert award.appointment_id is not None
        pair = (award.appointment_id, award.rule_id)
        effect[pair] += award.points - award.uncollected
        owed[pair] += award.uncollected
        amount.setdefault(pair, abs(award.points - award.uncollected))
        if award.entry_id in state.reversed_by_staff:
            by_staff.add(pair)
    profile = state.profile
    changes: list[Change] = []
    for appointment_pk in sorted(state.appointments):
        for rule_pk, rule in sorted(rules.rules.items()):
            pair = (appointment_pk, rule_pk)
            if pair in by_staff:
                continue
            sign = -1 if rule.trigger in DEDUCTIONS else 1
            wanted = sign * amount.get(pair, rule.points) if pair in pairs else 0
            delta = wanted - effect[pair]
            if not delta:
                continue
            if delta > 0:
                forgiven = min(delta, owed[pair])
                points, uncollected = delta - forgiven, -forgiven
            else:
                points = -min(-delta, profile.points_balance)
                uncollected = -delta + points
            profile.points_balance += points
            appointment = state.appointments[appointment_pk]
            changes.append(Change(rule, appointment, points, uncollected, profile))
    return changes


def _description(practice: Practice, change: Change, zone: dt.tzinfo) -> str:
    description = describe(change.rule, change.appointment, practice, zone)
    deduction = change.rule.trigger in DEDUCTIONS
    if deduction and change.points > 0:
        return f"Given back: {description}"
    if not deduction and change.points < 0:
        return f"Taken back: {description}"
    return description


def write_plans(
    practice: Practice,
    changes: list[Change],
    *,
    actor: Actor,
    zone: dt.tzinfo,
    audits: EventRows | None = None,
) -> None:
    """Write planned changes of any number of profiles: their ledger entries and
    balances, their AutoAward rows, and one audit event per profile, each as
    plain values in one statement. `zone` is the practice's time zone, as the
    rules read it, for the entries' words. Given `audits` (the same actor's),
    the events are added to them for the caller to write, after this."""
    if not changes:
        return
    moved = [c for c in changes if c.points]
    earning = {c.profile for c in moved if c.points > 0}
    # One patient given points: the lock read whether they want the mail (state._locked).
    wanted = getattr(earning.pop(), "wants_points_mail", None) if len(earning) == 1 else None
    entry_ids = post_many(
        practice=practice,
        kind=EntryKind.AUTO,
        actor=AUTOMATIC,
        postings=[(_profile_id(c), c.points, _description(practice, c, zone)) for c in moved],
        wanted=wanted,
    )
    entry_of = {id(c): entry_id for c, entry_id in zip(moved, entry_ids, strict=True)}
    now = timezone.now()
    awards = Rows(
        AutoAward,
        {"practice_id": practice.pk, "created_at": now},
        ("profile_id", "rule_id", "appointment_id", "entry_id", "points", "uncollected"),
    )
    per_profile: dict[int, list[Change]] = defaultdict(list)
    for c in changes:
        appointment_id = c.appointment.pk if c.appointment is not None else None
        awards.add(
            _profile_id(c), c.rule.pk, appointment_id, entry_of.get(id(c)), c.points, c.uncollected
        )
        per_profile[_profile_id(c)].append(c)
    awards.write()
    events = audits if audits is not None else EventRows(
        practice_id=practice.pk, actor=actor, created_at=now
    )
    for profile_id, made in per_profile.items():
        profile = made[0].profile
        events.add(
            profile_id,
            "points.auto",
            Outcome.OK,
            {
                "changes": [
                    {"rule": c.rule.trigger, "points": c.points, "uncollected": c.uncollected}
                    for c in made
                ],
                "balance": profile.points_balance if profile else None,
            },
        )
    if audits is None:
        events.write()


def _profile_id(change: Change) -> int:
    assert change.profile is not None
    return change.profile.pk


def reconcile_many(
    practice: Practice, profile_ids: list[int], *, actor: Actor, rules: PracticeRules | None = None
) -> list[Change]:
    """`reconcile` for many profiles at once, in a fixed number of reads and writes."""
    rules = rules or practice_rules(practice)
    states = load_states(rules, profile_ids)
    changes = [change for pk in sorted(states) for change in plan(rules, states[pk])]
    write_plans(practice, changes, actor=actor, zone=rules.zone)
    return changes


def reconcile(practice: Practice, profile: Profile, *, actor: Actor) -> list[Change]:
    """Post what the profile's appointments earn and have not had, or take back
    what they had and no longer earn. Runs in the caller's transaction."""
    changes = reconcile_many(practice, [profile.pk], actor=actor)
    if changes:
        assert changes[0].profile is not None
        profile.points_balance = changes[0].profile.points_balance
    return changes
