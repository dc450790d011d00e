"""Saving a practice's branding: one transaction, one audit row."""

from __future__ import annotations

from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.points.prize_pictures import PreparedPicture, change_picture
from rewardshub.practices.models import Practice


def set_branding(
    *,
    practice: Practice,
    actor: Actor,
    primary_colour: str,
    accent_colour: str,
    logo: PreparedPicture | None = None,
    remove_logo: bool = False,
) -> list[str]:
    """Save the colours ("#rrggbb" checked for contrast, or "" for the hub's own) and a
    new logo (or remove it); return the fields that changed (none: nothing written)."""
    with transaction.atomic():
        locked = Practice.objects.select_for_update().get(pk=practice.pk)
        wanted = {"primary_colour": primary_colour, "accent_colour": accent_colour}
        changed = [field for field, value in wanted.items() if getattr(locked, field) != value]
        for field in changed:
            setattr(locked, field, wanted[field])
        if change_picture(locked.logo, logo, remove=remove_logo):
            changed.append("logo")
        if not changed:
            return []
        locked.save(update_fields=changed)
        detail: dict[str, object] = {"fields": changed}
        detail.update({field: wanted[field] for field in changed if field in wanted})
        if "logo" in changed:
            detail["logo"] = "removed" if not locked.logo else "new"
        record_event(
            practice=practice, actor=actor, action="practice.branding", detail=detail
        )
    for field in changed:
        setattr(practice, field, getattr(locked, field))
    return changed
