"""What the rules need to know about profiles, read in a fixed number of
queries however many profiles: one profile's reconcile and a batch of
appointment events read the same way (automations/ledger.py plans on it)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Min

from rewardshub.automations.models import (
    APPOINTMENT_TRIGGERS,
    Appointment,
    AutoAward,
    AutoRule,
    AutoSettings,
)
from rewardshub.cards.models import Card
from rewardshub.fastsql import Statement
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice


def practice_zone(practice: Practice) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(practice.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


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


def excluded_profiles(settings: AutoSettings, profile_ids: list[int]) -> set[int]:
    """Which of these profiles carry a tag the practice excludes from automatic points."""
    if settings.pk is None:
        return set()
    return set(
        ProfileTag.objects.filter(
            profile_id__in=profile_ids, tag__in=settings.excluded_tags.all()
        ).values_list("profile_id", flat=True)
    )


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


def load_states(rules: PracticeRules, profile_ids: list[int]) -> dict[int, ProfileState]:
    """Lock the profiles (in id order, so two writers cannot deadlock) and read
    their appointments, automatic awards and what decides when visits count."""
    practice = rules.practice
    profiles = (
        Profile.objects.select_for_update(of=("self",))
        .filter(practice=practice, pk__in=profile_ids)
        .order_by("pk")
    )
    locked = {profile.pk: profile for profile in profiles}
    if not locked:
        return {}
    ids = sorted(locked)
    excluded = excluded_profiles(rules.settings, ids)
    first_cards = dict(
        Card.objects.filter(profile_id__in=ids)
        .values("profile_id")
        .annotate(first=Min("activated_at"))
        .values_list("profile_id", "first")
    )
    states = {
        pk: ProfileState(
            profile,
            pk in excluded,
            _payable_from(rules, profile, first_cards.get(pk)),
        )
        for pk, profile in locked.items()
    }
    for appointment in Appointment.objects.filter(profile_id__in=ids):
        assert appointment.profile_id is not None
        states[appointment.profile_id].appointments[appointment.pk] = appointment
    by_entry: dict[int, int] = {}
    for award in AutoAward.objects.filter(profile_id__in=ids, appointment__isnull=False):
        states[award.profile_id].awards.append(award)
        if award.entry_id is not None:
            by_entry[award.entry_id] = award.profile_id
    reversed_ids = LedgerEntry.objects.filter(reverses_id__in=list(by_entry)).values_list(
        "reverses_id", flat=True
    )
    for entry_id in reversed_ids:
        assert entry_id is not None
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
