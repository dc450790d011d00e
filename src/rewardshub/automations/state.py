"""What the rules need to know about profiles, read in a fixed number of
queries however many profiles: one profile's reconcile and a batch of
appointment events read the same way (automations/ledger.py plans on it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, QuerySet

from rewardshub.automations.models import (
    APPOINTMENT_TRIGGERS,
    Appointment,
    AutoAward,
    AutoRule,
    AutoSettings,
)
from rewardshub.cards.models import Card
from rewardshub.fastsql import Statement
from rewardshub.for_ids import ForIds
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone

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
    found: AutoSettings | None = _SETTINGS.first(practice.pk)
    return found if found is not None else AutoSettings(practice=practice)


def _excluded(settings_id: int, profile_ids: list[int]) -> QuerySet[ProfileTag, tuple[int]]:
    tags = AutoSettings.excluded_tags.through.objects.filter(autosettings_id=settings_id)
    return ProfileTag.objects.filter(
        profile_id__in=profile_ids, tag_id__in=tags.values("tag_id")
    ).values_list("profile_id")


_EXCLUDED = ForIds(_excluded, int)


def excluded_profiles(settings: AutoSettings, profile_ids: list[int]) -> set[int]:
    """Which of these profiles carry a tag the practice excludes from automatic points."""
    if settings.pk is None or not profile_ids:
        return set()
    return {row[0] for row in _EXCLUDED.rows(settings.pk, ids=profile_ids)}


def is_excluded(practice: Practice, profile: Profile, settings: AutoSettings) -> bool:
    return bool(excluded_profiles(settings, [profile.pk]))


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
    rules = _RULES.rows(practice.pk)
    for rule in rules:
        rule.practice = practice  # the rules' words read its time zone
    return PracticeRules(
        practice,
        auto_settings(practice),
        {rule.pk: rule for rule in rules},
        practice_zone(practice),
    )


def _locked(practice_id: int, ids: list[int]) -> QuerySet[Profile]:
    return (
        Profile.objects.select_for_update(of=("self",))
        .filter(practice_id=practice_id, pk__in=ids)
        .order_by("pk")
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
    return AutoAward.objects.filter(
        practice_id=practice_id, profile_id__in=ids, appointment__isnull=False
    )


def _reversed(practice_id: int, ids: list[int]) -> QuerySet[LedgerEntry, tuple[int]]:
    """The entries reversing these profiles' appointment awards' entries."""
    paid = _awards(practice_id, ids).filter(entry__isnull=False).values("entry_id")
    return LedgerEntry.objects.filter(practice_id=practice_id, reverses_id__in=paid).values_list(
        "reverses_id"
    )


# What a single appointment write reads, compiled once (BENCHMARKS.md,
# "Appointment events"); a batch reads the same with the ORM.
_LOCKED = ForIds(_locked, int, kind="models")
_FIRST_CARDS = ForIds(_first_cards, int)
_APPOINTMENTS = ForIds(_appointments, int, kind="models")
_AWARDS = ForIds(_awards, int, kind="models")
_REVERSED = ForIds(_reversed, int)


def load_states(rules: PracticeRules, profile_ids: list[int]) -> dict[int, ProfileState]:
    """Lock the profiles (in id order, so two writers cannot deadlock) and read
    their appointments, automatic awards and what decides when visits count."""
    practice = rules.practice
    locked = {p.pk: p for p in _LOCKED.rows(practice.pk, ids=sorted(set(profile_ids)))}
    if not locked:
        return {}
    ids = sorted(locked)
    excluded = excluded_profiles(rules.settings, ids)
    first_cards = dict(_FIRST_CARDS.rows(practice.pk, ids=ids))
    states = {
        pk: ProfileState(
            profile,
            pk in excluded,
            _payable_from(rules, profile, first_cards.get(pk)),
        )
        for pk, profile in locked.items()
    }
    for appointment in _APPOINTMENTS.rows(practice.pk, ids=ids):
        assert appointment.profile_id is not None
        states[appointment.profile_id].appointments[appointment.pk] = appointment
    by_entry: dict[int, int] = {}
    for award in _AWARDS.rows(practice.pk, ids=ids):
        states[award.profile_id].awards.append(award)
        if award.entry_id is not None:
            by_entry[award.entry_id] = award.profile_id
    if by_entry:
        for (entry_id,) in _REVERSED.rows(practice.pk, ids=ids):
            states[by_entry[entry_id]].reversed_by_staff.add(entry_id)
    return states


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
