"""What the rules need to know about profiles, read in a fixed number of
queries however many profiles: one profile's reconcile and a batch of
appointment events read the same way (automations/ledger.py plans on it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, Min, OuterRef, QuerySet

from rewardshub.automations.models import (
    APPOINTMENT_TRIGGERS,
    Appointment,
    AutoAward,
    AutoRule,
    AutoSettings,
)
from rewardshub.cards.models import Card
from rewardshub.for_ids import ForIds
from rewardshub.notify.hooks import wants_points_mail
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import send_zone
from rewardshub.statement import Statement
from rewardshub.together import Together

# Read by every appointment write: compiled once (BENCHMARKS.md, "Set card's own reads").
_SETTINGS = Statement(
    lambda practice_id: AutoSettings.objects.filter(practice_id=practice_id)[:1], int, kind="models"
)
_RULES = Statement(
    lambda practice_id: AutoRule.objects.filter(
        practice_id=practice_id, enabled=True, trigger__in=sorted(APPOINTMENT_TRIGGERS)
    ),
    int,
    kind="models",
)


def auto_settings(practice: Practice) -> AutoSettings:
    """The practice's choices for every rule (defaults, unsaved, until it saves some)."""
    found: AutoSettings | None = _SETTINGS.first(practice.pk)
    return found if found is not None else AutoSettings(practice=practice)


def _excluded(practice_id: int, profile_ids: list[int]) -> QuerySet[ProfileTag, tuple[int]]:
    tags = AutoSettings.excluded_tags.through.objects.filter(
        autosettings__practice_id=practice_id
    )
    return ProfileTag.objects.filter(
        profile_id__in=profile_ids, tag_id__in=tags.values("tag_id")
    ).values_list("profile_id")


_EXCLUDED = ForIds(_excluded, int)


def excluded_profiles(practice: Practice, profile_ids: list[int]) -> set[int]:
    """Which of these profiles carry a tag the practice excludes from automatic points."""
    if not profile_ids:
        return set()
    return {row[0] for row in _EXCLUDED.rows(practice.pk, ids=profile_ids)}


def is_excluded(practice: Practice, profile: Profile) -> bool:
    return bool(excluded_profiles(practice, [profile.pk]))


@dataclass
class ProfileState:
    """One locked profile with everything its appointment rules look at."""

    profile: Profile
    excluded: bool
    payable_from: dt.date | None
    appointments: dict[int, Appointment] = field(default_factory=dict)
    awards: list[AutoAward] = field(default_factory=list)
    # Entries of this profile's awards that staff reversed by hand.
    reversed_by_staff: set[int] = field(default_factory=set)


@dataclass
class PracticeRules:
    practice: Practice
    settings: AutoSettings
    rules: dict[int, AutoRule]
    zone: dt.tzinfo


def practice_rules(practice: Practice) -> PracticeRules:
    with Together() as reads:
        rules = send_rules(reads, practice)
    return rules()


def send_rules(reads: Together, practice: Practice) -> Callable[[], PracticeRules]:
    """Send the reads of the practice's rules (together.py); the rules, after the block."""
    rules = reads.rows(_RULES, practice.pk)
    settings = reads.rows(_SETTINGS, practice.pk)
    zone = send_zone(reads, practice)

    def done() -> PracticeRules:
        found = rules()
        for rule in found:
            rule.practice = practice  # the rules' words read its time zone
        return PracticeRules(
            practice,
            settings()[0] if settings() else AutoSettings(practice=practice),
            {rule.pk: rule for rule in found},
            zone(),
        )

    return done


def _locked(practice_id: int, ids: list[int]) -> QuerySet[Profile]:
    """The profiles, locked, each saying whether the patient wants points mail
    (read with the lock, as an award's lock reads it: points/ledger.py)."""
    return (
        Profile.objects.select_for_update(of=("self",))
        .filter(practice_id=practice_id, pk__in=ids)
        .annotate(wants_points_mail=wants_points_mail())
        .order_by("pk")
    )


def lock_free_profiles(practice: Practice, profile_ids: set[int]) -> set[int]:
    """Lock those of the profiles that no other transaction holds, without
    waiting, and say which (PostgreSQL's SKIP LOCKED, in id order)."""
    if not profile_ids:
        return set()
    return set(
        Profile.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(practice_id=practice.pk, pk__in=sorted(profile_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _first_cards(practice_id: int, ids: list[int]) -> QuerySet[Any, tuple[int, Any]]:
    return (
        Card.objects.filter(practice_id=practice_id, profile_id__in=ids)
        .values("profile_id")
        .annotate(first=Min("activated_at"))
        .values_list("profile_id", "first")
    )


def _appointments(practice_id: int, ids: list[int]) -> QuerySet[Appointment]:
    return Appointment.objects.filter(practice_id=practice_id, profile_id__in=ids)


def _awards(practice_id: int, ids: list[int]) -> QuerySet[AutoAward]:
    """These profiles' appointment awards, each marked `staff_reversed` when
    staff reversed its ledger entry by hand (one index probe an award)."""
    reversals = LedgerEntry.objects.filter(
        practice_id=practice_id, reverses_id=OuterRef("entry_id")
    )
    return AutoAward.objects.filter(
        practice_id=practice_id, profile_id__in=ids, appointment__isnull=False
    ).annotate(staff_reversed=Exists(reversals))


# What a single appointment write reads, compiled once (BENCHMARKS.md,
# "Appointment events"); a batch reads the same with the ORM.
_LOCKED = ForIds(_locked, int, kind="models")
_FIRST_CARDS = ForIds(_first_cards, int)
_APPOINTMENTS = ForIds(_appointments, int, kind="models")
_AWARDS = ForIds(_awards, int, kind="models")


def load_states(rules: PracticeRules, profile_ids: list[int]) -> dict[int, ProfileState]:
    """Lock the profiles (in id order, so two writers cannot deadlock) and read
    their appointments, automatic awards and what decides when visits count."""
    with Together() as reads:
        states = send_states(reads, rules.practice, profile_ids)
    return states(rules)


def send_states(
    reads: Together, practice: Practice, profile_ids: list[int]
) -> Callable[[PracticeRules], dict[int, ProfileState]]:
    """Send `load_states`' reads (together.py): the lock first, so each later read
    sees what was committed before the lock was granted; the states, after the block."""
    ids = sorted(set(profile_ids))
    if not ids:
        return lambda rules: {}
    pk = practice.pk
    locked = _LOCKED.later(reads, pk, ids=ids)
    excluded = _EXCLUDED.later(reads, pk, ids=ids)
    first_cards = _FIRST_CARDS.later(reads, pk, ids=ids)
    appointments = _APPOINTMENTS.later(reads, pk, ids=ids)
    awards = _AWARDS.later(reads, pk, ids=ids)

    def done(rules: PracticeRules) -> dict[int, ProfileState]:
        cards = dict(first_cards())
        out = {row[0] for row in excluded()}
        states = {
            p.pk: ProfileState(p, p.pk in out, _payable_from(rules, p, cards.get(p.pk)))
            for p in locked()
        }
        for appointment in appointments():
            states[appointment.profile_id].appointments[appointment.pk] = appointment
        for award in awards():
            state = states[award.profile_id]
            state.awards.append(award)
            if award.staff_reversed:
                state.reversed_by_staff.add(award.entry_id)
        return states

    return done


def _payable_from(
    rules: PracticeRules, profile: Profile, first_card: dt.datetime | None
) -> dt.date | None:
    """The first day whose visits earn automatic points: the day the patient's
    card was connected, or the practice's earlier "visits since" date. None for
    a profile with no card (a chart the PMS synced before any card)."""
    if profile.kind != ProfileKind.MEMBER:
        return None
    day = (first_card or profile.created_at).astimezone(rules.zone).date()
    since = rules.settings.visits_since
    return min(day, since) if since is not None else day
