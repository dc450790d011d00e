"""Creating and editing profiles and their tags: one transaction each, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.cards.actions import activate, claim_card
from rewardshub.cards.numbers import new_username
from rewardshub.cards.queries import parse_or_raise
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag, Tag
from rewardshub.patients.queries import PROFILE_VIEW, location_tag
from rewardshub.practices.models import Practice

# The demographic fields a person or a PMS may set. Audit rows name the
# fields that changed, never their values.
DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "birth_date",
    "email",
    "phone_mobile",
    "phone_home",
    "responsible_party",
    "location",
)


def _unused_username() -> str:
    for _ in range(20):
        candidate = new_username()
        if not Profile.objects.filter(username=candidate).exists():
            return candidate
    raise RuntimeError("could not find a free username")  # 10^11 numbers: never in practice


def create_profile(
    *,
    practice: Practice,
    data: dict[str, Any],
    actor: Actor,
    card_raw: str | None = None,
    username: str | None = None,
    kind: str = ProfileKind.MEMBER,
    tags: Iterable[Tag] = (),
) -> Profile:
    """Create a profile. With a card, the card's number becomes the username for life.

    `username` is for callers that already settled which number the profile
    carries (a PMS setting a card number that is no card yet).
    """
    number = parse_or_raise(card_raw) if card_raw else None
    fields = {name: data[name] for name in DEMOGRAPHIC_FIELDS if name in data}
    with transaction.atomic():
        card = claim_card(practice, number, None) if number else None
        profile = Profile(
            practice=practice,
            username=number or username or _unused_username(),
            kind=kind,
            **fields,
        )
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError:
            raise ActionError(
                "username_taken",
                "A patient with that number already exists. Search for the number to open them.",
                status=409,
            ) from None
        if card is not None:
            activate(card, profile)
        for tag in tags:
            _add_tag(profile, tag)
        record_event(
            practice=practice,
            actor=actor,
            action="profile.create",
            profile=profile,
            detail={
                "fields": sorted(k for k, v in fields.items() if v not in ("", None)),
                "card_last4": number[-4:] if number else None,
                "tags": [tag.name for tag in profile.tags.all()],
            },
        )
        return profile


def _normalise(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def update_profile(
    *, practice: Practice, profile: Profile, data: dict[str, Any], actor: Actor
) -> list[str]:
    """Apply the fields of `data` that differ; return the names of those that changed."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile.pk, practice=practice)
        changed = []
        for name in DEMOGRAPHIC_FIELDS:
            if name in data and _normalise(getattr(profile, name)) != _normalise(data[name]):
                setattr(profile, name, data[name])
                changed.append(name)
        if changed:
            profile.save(update_fields=[*changed, "updated_at"])
            record_event(
                practice=practice,
                actor=actor,
                action="profile.update",
                profile=profile,
                detail={"fields": changed},
            )
        return changed


def _add_tag(profile: Profile, tag: Tag) -> None:
    group = tag.group
    if group.exclusive:
        # Exactly one tag per status/location group: the new one takes the place.
        ProfileTag.objects.filter(profile=profile, exclusive_group=group).delete()
    ProfileTag.objects.get_or_create(
        profile=profile,
        tag=tag,
        defaults={
            "practice_id": profile.practice_id,
            "exclusive_group": group if group.exclusive else None,
        },
    )


def add_tag(*, practice: Practice, profile: Profile, tag: Tag, actor: Actor) -> None:
    if tag.practice_id != practice.pk or profile.practice_id != practice.pk:
        raise ActionError("not_found", "That tag does not exist.", status=404)
    with transaction.atomic():
        before = set(profile.tags.values_list("name", flat=True))
        _add_tag(profile, tag)
        after = set(profile.tags.values_list("name", flat=True))
        if before != after:
            record_event(
                practice=practice,
                actor=actor,
                action="profile.tag",
                profile=profile,
                detail={"added": sorted(after - before), "removed": sorted(before - after)},
            )


def remove_tag(*, practice: Practice, profile: Profile, tag: Tag, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _ = ProfileTag.objects.filter(
            practice=practice, profile=profile, tag=tag
        ).delete()
        if deleted:
            record_event(
                practice=practice,
                actor=actor,
                action="profile.untag",
                profile=profile,
                detail={"removed": [tag.name]},
            )


def record_profile_view(
    *, practice: Practice, profile: Profile, actor: Actor, page: str = "profile"
) -> None:
    """Write the audit row of a staff member opening a patient's page (a PHI read)."""
    record_event(
        practice=practice, actor=actor, action=PROFILE_VIEW, profile=profile, detail={"page": page}
    )


def add_member(
    *,
    practice: Practice,
    data: dict[str, Any],
    actor: Actor,
    card_raw: str | None = None,
    status_tag: Tag | None = None,
) -> Profile:
    """Staff's "Add member": a profile tagged with its location's tag and an optional status."""
    tags = [tag for tag in (status_tag, location_tag(practice, data.get("location"))) if tag]
    return create_profile(practice=practice, data=data, actor=actor, card_raw=card_raw, tags=tags)


def edit_profile(
    *, practice: Practice, profile: Profile, data: dict[str, Any], actor: Actor
) -> list[str]:
    """Staff's edit of the demographics; a new location brings its location tag along."""
    with transaction.atomic():
        changed = update_profile(practice=practice, profile=profile, data=data, actor=actor)
        tag = location_tag(practice, data.get("location")) if "location" in changed else None
        if tag is not None:
            add_tag(practice=practice, profile=profile, tag=tag, actor=actor)
        return changed
