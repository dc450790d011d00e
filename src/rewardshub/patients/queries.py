"""Reading profiles and tags, always inside one practice."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from rewardshub.patients.models import Profile, ProfileTag, Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Practice


def get_profile(practice: Practice, public_id: object) -> Profile:
    """The practice's profile with that public id, or 404 (also for other practices' profiles)."""
    return get_object_or_404(
        Profile.objects.select_related("location"), practice=practice, public_id=public_id
    )


def get_tag(practice: Practice, public_id: object) -> Tag:
    return get_object_or_404(Tag.objects.select_related("group"), practice=practice, public_id=public_id)


def get_tag_group(practice: Practice, public_id: object) -> TagGroup:
    return get_object_or_404(TagGroup, practice=practice, public_id=public_id)


def profiles(practice: Practice) -> QuerySet[Profile]:
    return Profile.objects.filter(practice=practice)


def search_by_name(practice: Practice, text: str) -> QuerySet[Profile]:
    words = text.split()
    found = profiles(practice)
    for word in words[:4]:
        found = found.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return found


def _has_exclusive_tag(kind: str) -> Exists:
    return Exists(
        ProfileTag.objects.filter(profile=OuterRef("pk"), exclusive_group__kind=kind)
    )


def with_tag_flags(found: QuerySet[Profile]) -> QuerySet[Profile]:
    return found.annotate(
        has_status=_has_exclusive_tag(TagGroupKind.STATUS),
        has_location=_has_exclusive_tag(TagGroupKind.LOCATION),
    )


def missing_tags(practice: Practice) -> QuerySet[Profile]:
    """Profiles lacking a status tag or a location tag."""
    return with_tag_flags(profiles(practice)).filter(Q(has_status=False) | Q(has_location=False))


def missing_tag_kinds(profile: Profile) -> list[str]:
    """Names of the exclusive groups ("Status", "Location") the profile has no tag in."""
    have = set(
        ProfileTag.objects.filter(profile=profile, exclusive_group__isnull=False).values_list(
            "exclusive_group__kind", flat=True
        )
    )
    groups = TagGroup.objects.filter(
        practice_id=profile.practice_id, kind__in=[TagGroupKind.STATUS, TagGroupKind.LOCATION]
    ).order_by("position", "name")
    return [group.name for group in groups if group.kind not in have]
