"""The prize catalog: adding and changing prizes. Each change is audited.

Ordering, fulfilling and cancelling live in points/orders.py.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.points.models import Prize
from rewardshub.points.prize_pictures import PreparedPicture, change_picture, store_picture
from rewardshub.practices.models import Practice

FIELDS = ("name", "description", "cost", "stock", "active")


def _check_name(practice: Practice, name: str, exclude: Prize | None = None) -> None:
    taken = Prize.objects.filter(practice=practice, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ActionError("prize_name_taken", f"There is already a prize called “{name}”.")


def create_prize(
    *,
    practice: Practice,
    actor: Actor,
    name: str,
    cost: int,
    description: str = "",
    stock: int | None = None,
    active: bool = True,
    picture: PreparedPicture | None = None,
) -> Prize:
    with transaction.atomic():
        _check_name(practice, name)
        prize = Prize(
            practice=practice,
            name=name,
            description=description,
            cost=cost,
            stock=stock,
            active=active,
        )
        if picture is not None:
            store_picture(prize.picture, picture)
        prize.save()
        record_event(
            practice=practice,
            actor=actor,
            action="prize.create",
            detail={"prize": name, "cost": cost, "stock": stock},
        )
        return prize


def update_prize(
    *,
    practice: Practice,
    prize: Prize,
    actor: Actor,
    data: dict[str, Any],
    picture: PreparedPicture | None = None,
    remove_picture: bool = False,
) -> list[str]:
    """Change the given fields; return the names of those that changed."""
    with transaction.atomic():
        prize = Prize.objects.select_for_update().get(pk=prize.pk, practice=practice)
        if "name" in data and data["name"] != prize.name:
            _check_name(practice, data["name"], exclude=prize)
        changed = [f for f in FIELDS if f in data and getattr(prize, f) != data[f]]
        for f in changed:
            setattr(prize, f, data[f])
        if change_picture(prize.picture, picture, remove=remove_picture):
            changed.append("picture")
        if changed:
            prize.save()
            record_event(
                practice=practice,
                actor=actor,
                action="prize.update",
                detail={"prize": prize.name, "fields": changed},
            )
        return changed
