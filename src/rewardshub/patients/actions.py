"""Creating and editing profiles and their tags: one transaction each, audited.

What a write changes (fields, tags, the audit details) is decided in
changes.py, the same for one profile here as for a batch of charts
(integrations/batch.py); these actions read the values and write the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from rewardshub.audit.actions import build_event, record_event, record_events
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import AuditEvent
from rewardshub.cards.actions import activate, claim_card
from rewardshub.cards.numbers import new_username
from rewardshub.cards.queries import parse_or_raise
from rewardshub.errors import ActionError
from rewardshub.patients.changes import (
    DEMOGRAPHIC_FIELDS,
    TagPlan,
    TagRef,
    create_detail,
    profile_changes,
    tag_plan,
    update_detail,
)
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag, Tag
from rewardshub.patients.queries import PROFILE_VIEW, location_tag
from rewardshub.practices.models import Practice


def plain(value: Any) -> Any:
    """A field's value as the decisions in changes.py take it: a row by its id."""
    return value.pk if isinstance(value, Model) else value


def plain_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(data[name]) for name in DEMOGRAPHIC_FIELDS if name in data}


def current_fields(profile: Profile) -> dict[str, Any]:
    """The profile's demographics as plain values (its location by id, nothing read)."""
    values = {name: getattr(profile, name) for name in DEMOGRAPHIC_FIELDS if name != "location"}
    values["location"] = profile.location_id
    return values


def tag_ref(tag: Tag) -> TagRef:
    group = tag.group
    order = (group.position, tag.position, tag.name)
    return TagRef(tag.pk, tag.name, tag.group_id, group.exclusive, order)


def held_tags(profile_ids: Iterable[int]) -> dict[int, list[TagRef]]:
    """The tags these profiles hold, in one read."""
    held: dict[int, list[TagRef]] = {}
    rows = ProfileTag.objects.filter(profile_id__in=list(profile_ids)).values_list(
        "profile_id", "tag_id", "tag__name", "tag__group_id", "exclusive_group_id"
    )
    for profile_id, tag_id, name, group_id, exclusive_group_id in rows:
        exclusive = exclusive_group_id is not None
        held.setdefault(profile_id, []).append(
            TagRef(tag_id, name, exclusive_group_id if exclusive else group_id, exclusive)
        )
    return held


def tag_row(practice_id: int, profile_id: int, tag: TagRef) -> ProfileTag:
    return ProfileTag(
        practice_id=practice_id,
        profile_id=profile_id,
        tag_id=tag.id,
        exclusive_group_id=tag.group_id if tag.exclusive else None,
    )


def _write_tags(practice_id: int, profile_id: int, plan: TagPlan) -> None:
    if plan.drop:
        ProfileTag.objects.filter(
            profile_id=profile_id, tag_id__in=[tag.id for tag in plan.drop]
        ).delete()
    if plan.add:
        ProfileTag.objects.bulk_create([tag_row(practice_id, profile_id, t) for t in plan.add])


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
    defer_audit: list[AuditEvent] | None = None,
) -> Profile:
    """Create a profile. With a card, the card's number becomes the username for life.

    `username` is for callers that already settled which number the profile
    carries (a PMS setting a card number that is no card yet). `defer_audit`:
    the audit event is put there, for a caller that writes it with its own in
    one statement, inside this same transaction.
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
        plan = tag_plan((), [tag_ref(tag) for tag in tags])
        _write_tags(practice.pk, profile.pk, plan)
        audit = build_event(
            practice=practice,
            actor=actor,
            action="profile.create",
            profile=profile,
            detail=create_detail(plain_fields(fields), number, plan.final),
        )
        if defer_audit is None:
            record_events([audit])
        else:
            defer_audit.append(audit)
        return profile


def update_profile(
    *, practice: Practice, profile: Profile, data: dict[str, Any], actor: Actor
) -> list[str]:
    """Apply the fields of `data` that differ; return the names of those that changed."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile.pk, practice=practice)
        changed = profile_changes(current_fields(profile), plain_fields(data))
        if changed:
            for name in changed:
                setattr(profile, name, data[name])
            profile.save(update_fields=[*changed, "updated_at"])
            record_event(
                practice=practice,
                actor=actor,
                action="profile.update",
                profile=profile,
                detail=update_detail(changed),
            )
        return changed


def give_tags(
    *, practice: Practice, profile: Profile, tags: Sequence[Tag], actor: Actor
) -> bool:
    """Give the profile these tags in turn (a status or location tag takes the place of
    its group's other one), one audit event per tag that changed anything; True if any did.
    The caller holds the profile's row locked (update_profile or add_tag)."""
    plan = tag_plan(held_tags([profile.pk]).get(profile.pk, []), [tag_ref(t) for t in tags])
    _write_tags(practice.pk, profile.pk, plan)
    if plan.events:
        record_events(
            build_event(
                practice=practice, actor=actor, action="profile.tag", profile=profile, detail=detail
            )
            for detail in plan.events
        )
    return plan.changed


def add_tag(*, practice: Practice, profile: Profile, tag: Tag, actor: Actor) -> None:
    if tag.practice_id != practice.pk or profile.practice_id != practice.pk:
        raise ActionError("not_found", "That tag does not exist.", status=404)
    with transaction.atomic():
        # Locked, so two tag writes of one profile cannot both find a group empty.
        list(Profile.objects.select_for_update().filter(pk=profile.pk).values_list("pk"))
        give_tags(practice=practice, profile=profile, tags=[tag], actor=actor)


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
