"""Changing the reward menu: categories and items. Owners and admins, audited.

Items are never deleted (ledger entries point at them): an item taken off the
menu is made inactive, so history keeps its name.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.patients.models import Tag
from rewardshub.points.models import RewardCategory, RewardItem
from rewardshub.practices.models import Practice

ITEM_FIELDS = ("category", "name", "points", "position", "repeat_window_days", "auto_tag", "active")


def _category_name_taken(name: str) -> ActionError:
    return ActionError(
        "name_taken", f"There is already a category named “{name}”. Pick another name.", 409
    )


def _item_name_taken(name: str) -> ActionError:
    return ActionError(
        "name_taken",
        f"There is already a reward named “{name}” on the menu (perhaps inactive). "
        "Pick another name, or edit that one.",
        409,
    )


def create_category(
    *, practice: Practice, name: str, position: int, actor: Actor
) -> RewardCategory:
    with transaction.atomic():
        if RewardCategory.objects.filter(practice=practice, name__iexact=name).exists():
            raise _category_name_taken(name)
        category = RewardCategory.objects.create(practice=practice, name=name, position=position)
        record_event(
            practice=practice, actor=actor, action="menu.category_create", detail={"name": name}
        )
        return category


def update_category(
    *, practice: Practice, category: RewardCategory, name: str, position: int, actor: Actor
) -> list[str]:
    """Rename or reorder; returns the names of the fields that changed."""
    with transaction.atomic():
        category = RewardCategory.objects.select_for_update().get(pk=category.pk, practice=practice)
        taken = RewardCategory.objects.filter(practice=practice, name__iexact=name).exclude(
            pk=category.pk
        )
        if taken.exists():
            raise _category_name_taken(name)
        changed = [
            field
            for field, value in (("name", name), ("position", position))
            if getattr(category, field) != value
        ]
        if not changed:
            return []
        old = category.name
        category.name, category.position = name, position
        category.save(update_fields=changed)
        record_event(
            practice=practice,
            actor=actor,
            action="menu.category_update",
            detail={"name": name, "from": old, "fields": changed},
        )
        return changed


def _check_item(practice: Practice, data: dict[str, Any]) -> None:
    category: RewardCategory = data["category"]
    tag: Tag | None = data.get("auto_tag")
    # Forms already scope their choices; actions refuse another practice's rows anyway.
    if category.practice_id != practice.pk or (tag is not None and tag.practice_id != practice.pk):
        raise ActionError("not_found", "That category or tag is not this practice's.", 404)


def create_item(*, practice: Practice, data: dict[str, Any], actor: Actor) -> RewardItem:
    """`data`: the ItemForm's cleaned data (category, name, points, position,
    repeat_window_days, auto_tag, active)."""
    _check_item(practice, data)
    with transaction.atomic():
        if RewardItem.objects.filter(practice=practice, name__iexact=data["name"]).exists():
            raise _item_name_taken(data["name"])
        item = RewardItem.objects.create(
            practice=practice, **{field: data.get(field) for field in ITEM_FIELDS}
        )
        record_event(
            practice=practice,
            actor=actor,
            action="menu.item_create",
            detail={"name": item.name, "points": item.points, "category": item.category.name},
        )
        return item


def update_item(
    *, practice: Practice, item: RewardItem, data: dict[str, Any], actor: Actor
) -> list[str]:
    """Change an item; returns the names of the fields that changed. A change of
    points applies to awards from now on; past entries keep their points."""
    _check_item(practice, data)
    with transaction.atomic():
        item = RewardItem.objects.select_for_update().get(pk=item.pk, practice=practice)
        taken = RewardItem.objects.filter(practice=practice, name__iexact=data["name"]).exclude(
            pk=item.pk
        )
        if taken.exists():
            raise _item_name_taken(data["name"])
        changed = [field for field in ITEM_FIELDS if getattr(item, field) != data.get(field)]
        if not changed:
            return []
        old = item.name
        for field in changed:
            setattr(item, field, data.get(field))
        item.save(update_fields=changed)
        record_event(
            practice=practice,
            actor=actor,
            action="menu.item_update",
            detail={"name": item.name, "from": old, "fields": changed},
        )
        return changed
