"""Managing tag groups and tags (the settings side): one transaction each, audited.

Tagging a profile lives in patients/actions.py; this module only shapes the
vocabulary. System tags and groups (names starting "*", the Status and
Location groups) are read-only here: PMS tag mappings, reports and the
"Missing tags" list rely on them.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from rewardshub.audit.actions import build_event, record_event, record_events
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.patients.models import ProfileTag, Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Practice

SYSTEM_MARK = "*"


def system_tag_error(tag: Tag) -> ActionError:
    return ActionError(
        "system_tag",
        f"“{tag.name}” is a system tag: it cannot be renamed or deleted, because PMS tag "
        "mappings and reports rely on it. Location tags change when you rename the location "
        "under Settings > Locations.",
        status=409,
    )


def system_group_error(group: TagGroup) -> ActionError:
    return ActionError(
        "system_group",
        f"“{group.name}” is a system group: it cannot be renamed or deleted. "
        "You can still add your own tags to it.",
        status=409,
    )


def _check_name(name: str, what: str) -> None:
    if name.startswith(SYSTEM_MARK):
        raise ActionError(
            "reserved_name",
            f"{what} names starting with “*” are kept for system tags. "
            "Choose a name without the “*”.",
        )


def _check_tag_name_free(practice: Practice, name: str, exclude: int | None = None) -> None:
    clash = (
        Tag.objects.filter(practice=practice, name__iexact=name)
        .exclude(pk__in=[] if exclude is None else [exclude])
        .select_related("group")
        .first()
    )
    if clash is not None:
        raise ActionError(
            "tag_exists",
            f"The {clash.group.name} group already has a tag named “{clash.name}”. "
            "Tag names are unique across the practice; choose another name.",
            status=409,
        )


def _check_group_name_free(practice: Practice, name: str, exclude: int | None = None) -> None:
    others = TagGroup.objects.filter(practice=practice, name__iexact=name)
    if others.exclude(pk__in=[] if exclude is None else [exclude]).exists():
        raise ActionError(
            "group_exists",
            f"There is already a tag group named “{name}”. Choose another name.",
            status=409,
        )


@transaction.atomic
def create_tag_group(*, practice: Practice, name: str, actor: Actor) -> TagGroup:
    _check_name(name, "Group")
    _check_group_name_free(practice, name)
    last = TagGroup.objects.filter(practice=practice).aggregate(m=Max("position"))["m"]
    group = TagGroup.objects.create(
        practice=practice,
        name=name,
        kind=TagGroupKind.CUSTOM,
        position=0 if last is None else last + 1,
    )
    record_event(practice=practice, actor=actor, action="taggroup.create", detail={"name": name})
    return group


@transaction.atomic
def rename_tag_group(*, practice: Practice, group: TagGroup, name: str, actor: Actor) -> None:
    group = TagGroup.objects.select_for_update().get(pk=group.pk, practice=practice)
    if group.is_system:
        raise system_group_error(group)
    if group.name == name:
        return
    _check_name(name, "Group")
    _check_group_name_free(practice, name, exclude=group.pk)
    old = group.name
    group.name = name
    group.save(update_fields=["name"])
    record_event(
        practice=practice, actor=actor, action="taggroup.rename", detail={"from": old, "to": name}
    )


@transaction.atomic
def create_tag(*, practice: Practice, group: TagGroup, name: str, actor: Actor) -> Tag:
    """Add a tag to any group, system groups included (a practice's own status, say)."""
    if group.practice_id != practice.pk:
        raise ActionError("not_found", "That tag group does not exist.", status=404)
    _check_name(name, "Tag")
    _check_tag_name_free(practice, name)
    last = Tag.objects.filter(group=group).aggregate(m=Max("position"))["m"]
    tag = Tag.objects.create(
        practice=practice, group=group, name=name, position=0 if last is None else last + 1
    )
    record_event(
        practice=practice,
        actor=actor,
        action="tag.create",
        detail={"name": name, "group": group.name},
    )
    return tag


@transaction.atomic
def rename_tag(*, practice: Practice, tag: Tag, name: str, actor: Actor) -> None:
    tag = Tag.objects.select_for_update().select_related("group").get(pk=tag.pk, practice=practice)
    if tag.is_system:
        raise system_tag_error(tag)
    if tag.name == name:
        return
    _check_name(name, "Tag")
    _check_tag_name_free(practice, name, exclude=tag.pk)
    old = tag.name
    tag.name = name
    tag.save(update_fields=["name"])
    record_event(
        practice=practice, actor=actor, action="tag.rename", detail={"from": old, "to": name}
    )


def tag_use_count(tag: Tag) -> int:
    return ProfileTag.objects.filter(tag=tag).count()


def patients_phrase(count: int) -> str:
    return f"{count} patient" if count == 1 else f"{count} patients"


def _confirm_error(message: str) -> ActionError:
    return ActionError("confirm_needed", f"{message} Confirm to go ahead.", status=409)


def _delete_tags(practice: Practice, tags: list[Tag], actor: Actor) -> int:
    """Delete tags, writing one untag row per patient so each profile's audit trail is whole.

    Returns how many patients lost a tag.
    """
    links = list(
        ProfileTag.objects.filter(tag__in=tags).select_related("tag").order_by("profile_id")
    )
    record_events(
        build_event(
            practice=practice,
            actor=actor,
            profile_id=link.profile_id,
            action="profile.untag",
            detail={"removed": [link.tag.name], "reason": "tag deleted"},
        )
        for link in links
    )
    # PMS tag mappings to these tags go with them (their foreign key cascades).
    ProfileTag.objects.filter(tag__in=tags).delete()
    Tag.objects.filter(pk__in=[t.pk for t in tags]).delete()
    return len({link.profile_id for link in links})


@transaction.atomic
def delete_tag(*, practice: Practice, tag: Tag, actor: Actor, confirmed: bool = False) -> int:
    """Delete a custom tag; when patients carry it, only once `confirmed`. Returns how many."""
    tag = Tag.objects.select_for_update().select_related("group").get(pk=tag.pk, practice=practice)
    if tag.is_system:
        raise system_tag_error(tag)
    count = tag_use_count(tag)
    if count and not confirmed:
        raise _confirm_error(
            f"“{tag.name}” is on {patients_phrase(count)}. Deleting it removes it from them."
        )
    removed = _delete_tags(practice, [tag], actor)
    record_event(
        practice=practice,
        actor=actor,
        action="tag.delete",
        detail={"name": tag.name, "group": tag.group.name, "patients": removed},
    )
    return removed


def group_use_count(group: TagGroup) -> int:
    """How many patients carry at least one tag of the group."""
    return ProfileTag.objects.filter(tag__group=group).values("profile_id").distinct().count()


@transaction.atomic
def delete_tag_group(
    *, practice: Practice, group: TagGroup, actor: Actor, confirmed: bool = False
) -> int:
    """Delete a custom group with its tags; when patients carry any, only once `confirmed`."""
    group = TagGroup.objects.select_for_update().get(pk=group.pk, practice=practice)
    if group.is_system:
        raise system_group_error(group)
    count = group_use_count(group)
    if count and not confirmed:
        raise _confirm_error(
            f"Tags of “{group.name}” are on {patients_phrase(count)}. Deleting the group removes "
            "its tags from them."
        )
    tags = list(Tag.objects.select_for_update().filter(group=group))
    removed = _delete_tags(practice, tags, actor) if tags else 0
    group.delete()
    record_event(
        practice=practice,
        actor=actor,
        action="taggroup.delete",
        detail={"name": group.name, "tags": [t.name for t in tags], "patients": removed},
    )
    return removed
