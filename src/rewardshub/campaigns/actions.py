"""QR codes: staff create and change them, patients collect their points.

Each action is one transaction with its audit row. A collection locks the
patient's profile before it reads their earlier collections, so two scans at
once (two phones, a double tap) queue on the lock and the second one sees the
first: it pays once. The unique slot on QrCollection backs that up in the
database for codes of one collection and of one a day.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.campaigns import rules
from rewardshub.campaigns.models import QrCode, QrCollection, QrLimit
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, RewardItem, RewardKind
from rewardshub.points.rewards import hold, holds
from rewardshub.practices.models import Practice

# 32 random bytes: 43 URL-safe characters.
TOKEN_BYTES = 32


@dataclass(frozen=True)
class QrFields:
    """What staff set on a code (forms.QrCodeForm.fields_for_action)."""

    label: str
    points: int
    reward_item: RewardItem | None
    valid_from: dt.date
    valid_until: dt.date | None
    limit: str
    every_days: int | None
    active: bool = True


def practice_today(practice: Practice, now: dt.datetime | None = None) -> dt.date:
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(practice.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return (now or timezone.now()).astimezone(zone).date()


def _check(practice: Practice, fields: QrFields) -> None:
    if fields.reward_item is not None and fields.reward_item.practice_id != practice.pk:
        raise ActionError("unknown_item", "That reward is not on this practice's menu.")
    if fields.valid_until is not None and fields.valid_until < fields.valid_from:
        raise ActionError("qr_dates", "The last day comes before the first day.")
    if (fields.limit == QrLimit.EVERY_DAYS) != (fields.every_days is not None):
        raise ActionError("qr_every_days", "Say after how many days a patient may collect again.")


def _detail(code: QrCode) -> dict[str, Any]:
    return {"label": code.label, "points": code.points, "limit": code.limit}


def create_qr_code(*, practice: Practice, fields: QrFields, actor: Actor) -> QrCode:
    _check(practice, fields)
    with transaction.atomic():
        code = QrCode.objects.create(
            practice=practice,
            token=secrets.token_urlsafe(TOKEN_BYTES),
            created_by_label=actor.label[:200],
            **fields.__dict__,
        )
        record_event(practice=practice, actor=actor, action="qr.create", detail=_detail(code))
        return code


def update_qr_code(
    *, practice: Practice, code: QrCode, fields: QrFields, actor: Actor
) -> list[str]:
    """Change a code; the printed token stays. Returns the names of the fields changed."""
    _check(practice, fields)
    with transaction.atomic():
        code = QrCode.objects.select_for_update().get(pk=code.pk, practice=practice)
        changed = [name for name, value in fields.__dict__.items() if getattr(code, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(code, name, getattr(fields, name))
        code.save(update_fields=changed)
        record_event(
            practice=practice,
            actor=actor,
            action="qr.update",
            detail={**_detail(code), "fields": changed},
        )
        return changed


def refusal_for(code: QrCode, profile: Profile, today: dt.date) -> rules.Refusal | None:
    """Why this patient cannot collect this code today (read without the lock, for the page)."""
    last = (
        QrCollection.objects.filter(code=code, profile=profile)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    return rules.refusal(
        active=code.active,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        repeat_days=code.repeat_days,
        last_collected=last,
        today=today,
    )


def refusal_words(refused: rules.Refusal) -> str:
    """The refusal in the active language (the patient's), its days written as it writes them."""
    return gettext(refused.words) % {
        name: date_format(day, "M j" if day.year == refused.today.year else "M j, Y")
        for name, day in refused.days
    }


def collect_qr(*, practice: Practice, profile: Profile, code: QrCode, actor: Actor) -> QrCollection:
    """Pay the code's points to the patient, if its dates and its limit allow."""
    if code.practice_id != practice.pk or profile.practice_id != practice.pk:
        raise ActionError(
            "unknown_code", gettext("This code is not one of this practice's."), status=404
        )
    with transaction.atomic():
        locked = lock_profile(practice, profile)
        # Read again under the lock: staff may have changed or turned off the code.
        code = QrCode.objects.select_related("reward_item").get(pk=code.pk, practice=practice)
        today = practice_today(practice)
        refused = refusal_for(code, locked, today)
        if refused is not None:
            raise ActionError(refused.code, refusal_words(refused), status=409)
        entry, held = None, None
        if holds(practice, RewardKind.QR):
            # The practice has QR rewards wait for approval: the collection counts
            # toward the limit now, and the points come when an admin fulfils it.
            held = hold(
                practice=practice,
                profile=locked,
                kind=RewardKind.QR,
                points=code.points,
                description=code.label,
                actor=actor,
                source_label=code.label,
            )
        else:
            entry = post(
                practice=practice,
                profile=locked,
                points=code.points,
                kind=EntryKind.AWARD,
                actor=actor,
                description=code.label,
                reward_item=code.reward_item,
            )
        collection = QrCollection.objects.create(
            practice=practice,
            code=code,
            profile=locked,
            entry=entry,
            held=held,
            day=today,
            slot=rules.slot(code.repeat_days, today),
        )
        record_event(
            practice=practice,
            actor=actor,
            action="points.qr",
            profile=locked,
            detail={
                "label": code.label,
                "points": code.points,
                "balance": locked.points_balance,
            },
        )
        return collection
