"""Reads of families, each scoped to one practice: another practice's row is a 404 or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from rewardshub.families.models import Guardian, GuardianLink
from rewardshub.families.rules import is_placeholder, normalize_email
from rewardshub.patients.models import Profile, ProfileStatus
from rewardshub.practices.models import Practice


def children(guardian: Guardian) -> list[Profile]:
    """The profiles a guardian may act for: confirmed links, in the guardian's practice.

    Nothing at all until the guardian verified the email.
    """
    if guardian.verified_at is None:
        return []
    return list(
        Profile.objects.filter(
            practice_id=guardian.practice_id,
            status=ProfileStatus.ACTIVE,
            guardian_links__guardian=guardian,
            guardian_links__confirmed_at__isnull=False,
        )
        .select_related("practice")
        .order_by("first_name", "pk")
    )


def links_of(profile: Profile) -> QuerySet[GuardianLink]:
    """The profile's links, with their guardians."""
    return (
        GuardianLink.objects.filter(practice_id=profile.practice_id, profile=profile)
        .select_related("guardian")
        .order_by("guardian__email")
    )


@dataclass
class GuardianFamily:
    """A guardian of the profile, with every child linked to it (this profile's link among them)."""

    guardian: Guardian
    link: GuardianLink
    others: list[GuardianLink]


def families_of(profile: Profile) -> list[GuardianFamily]:
    links = list(links_of(profile))
    guardians = [link.guardian for link in links]
    others = (
        GuardianLink.objects.filter(practice_id=profile.practice_id, guardian__in=guardians)
        .exclude(profile=profile)
        .select_related("profile")
        .order_by("profile__first_name", "pk")
    )
    by_guardian: dict[int, list[GuardianLink]] = {}
    for other in others:
        by_guardian.setdefault(other.guardian_id, []).append(other)
    return [
        GuardianFamily(link.guardian, link, by_guardian.get(link.guardian_id, [])) for link in links
    ]


def suggested_family(profile: Profile) -> list[Profile]:
    """Other active profiles of the practice with the same email: only a suggestion.

    A blank or placeholder email suggests no one.
    """
    if is_placeholder(profile.email):
        return []
    return list(
        Profile.objects.filter(
            practice_id=profile.practice_id,
            status=ProfileStatus.ACTIVE,
            email__iexact=normalize_email(profile.email),
        )
        .exclude(pk=profile.pk)
        .order_by("first_name", "pk")
    )


def same_email_profiles(practice: Practice, email: str) -> QuerySet[Profile]:
    return Profile.objects.filter(
        practice=practice, status=ProfileStatus.ACTIVE, email__iexact=normalize_email(email)
    )


def get_link(practice: Practice, public_id: object) -> GuardianLink:
    return get_object_or_404(
        GuardianLink.objects.select_related("guardian", "profile"),
        practice=practice,
        public_id=public_id,
    )
