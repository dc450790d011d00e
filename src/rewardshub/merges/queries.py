"""Duplicate suggestions: live profiles of one practice with the same first
name, last name and birth date (an email alone is not enough: siblings share
a parent's), and the order in which a pair is offered for merging."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower, Trim
from django.shortcuts import get_object_or_404

from rewardshub.cards.models import Card, CardState
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

# Groups shown at once; a practice cleans up a few at a time.
MAX_GROUPS = 100


@dataclass(frozen=True)
class Pair:
    """Two profiles that look like one person; `survivor` is the one to keep by default."""

    survivor: Profile
    merged: Profile


def get_any_profile(practice: Practice, public_id: object) -> Profile:
    """The practice's profile with this public id, tombstones included (404 otherwise)."""
    return get_object_or_404(Profile, practice=practice, public_id=public_id)


def _keys(practice: Practice) -> QuerySet[Profile, dict[str, object]]:
    return (
        Profile.objects.filter(
            practice=practice, merged_into__isnull=True, birth_date__isnull=False
        )
        .annotate(first_key=Lower(Trim("first_name")), last_key=Lower(Trim("last_name")))
        .values("first_key", "last_key", "birth_date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("last_key", "first_key", "birth_date")
    )


def _keep_first(found: QuerySet[Profile]) -> QuerySet[Profile]:
    """The profile to keep first: the one synced with the PMS, then the one with
    a card, then the oldest."""
    return found.annotate(
        linked=Exists(PmsLink.objects.filter(profile=OuterRef("pk"))),
        carded=Exists(Card.objects.filter(profile=OuterRef("pk"), state=CardState.ACTIVE)),
    ).order_by("-linked", "-carded", "created_at", "id")


def duplicate_pairs(practice: Practice) -> list[Pair]:
    keys = list(_keys(practice)[:MAX_GROUPS])
    if not keys:
        return []
    match = Q()
    for same in keys:
        match |= Q(
            first_key=same["first_key"], last_key=same["last_key"], birth_date=same["birth_date"]
        )
    found = _keep_first(
        Profile.objects.filter(practice=practice, merged_into__isnull=True)
        .annotate(first_key=Lower(Trim("first_name")), last_key=Lower(Trim("last_name")))
        .filter(match)
    )
    groups: dict[str, list[Profile]] = {}
    for profile in found:
        person = f"{profile.last_key}\t{profile.first_key}\t{profile.birth_date}"  # type: ignore[attr-defined]
        groups.setdefault(person, []).append(profile)
    return [
        Pair(survivor, merged)
        for person in sorted(groups)
        for survivor, merged in itertools.combinations(groups[person], 2)
    ]
