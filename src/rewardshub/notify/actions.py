"""Changes to patient mail: opt-ins from the portal or an unsubscribe link, and
staff marking an order ready to pick up. Each is one transaction with its audit row."""

from __future__ import annotations

from django.db import transaction

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind
from rewardshub.errors import ActionError
from rewardshub.notify import hooks
from rewardshub.notify.kinds import OPT_IN_VALUES
from rewardshub.notify.models import MailPreference, PickupNotice
from rewardshub.patients.models import Profile
from rewardshub.points.models import OrderStatus, PrizeOrder
from rewardshub.practices.models import Practice

# Who the audit log names for a click on an unsubscribe link (no session: the link is the proof).
LINK_ACTOR = Actor(kind=ActorKind.PATIENT, label="Unsubscribe link")


def preference_of(profile: Profile) -> MailPreference:
    """The profile's opt-ins; a patient who never chose has every kind off."""
    found = MailPreference.objects.filter(profile=profile).first()
    return found or MailPreference(practice_id=profile.practice_id, profile=profile)


def set_preferences(*, profile: Profile, wanted: dict[str, bool], actor: Actor) -> list[str]:
    """Turn each named kind on or off; the kinds that changed (none: nothing written)."""
    unknown = set(wanted) - set(OPT_IN_VALUES)
    if unknown:
        raise ActionError("unknown_kind", "There is no such kind of mail.")
    with transaction.atomic():
        preference = MailPreference.objects.select_for_update().filter(profile=profile).first()
        if preference is None:
            # All off until now: a row only once something is turned on.
            preference = MailPreference(practice_id=profile.practice_id, profile=profile)
        changed = [kind for kind, on in wanted.items() if preference.wants(kind) != on]
        if not changed:
            return []
        for kind in changed:
            setattr(preference, kind, wanted[kind])
        preference.save()
        record_event(
            practice=profile.practice,
            actor=actor,
            action="mail.preferences",
            profile=profile,
            detail={
                "on": [k for k in changed if wanted[k]],
                "off": [k for k in changed if not wanted[k]],
            },
        )
        return changed


def follow_link(*, preference: MailPreference, kind: str, subscribe: bool, actor: Actor) -> bool:
    """An unsubscribe link's click (or the mail program's one-click POST), or the
    "keep getting these" button on its page; whether anything changed."""
    with transaction.atomic():
        locked = MailPreference.objects.select_for_update().get(pk=preference.pk)
        if locked.wants(kind) == subscribe:
            return False
        setattr(locked, kind, subscribe)
        locked.save(update_fields=[kind, "updated_at"])
        record_event(
            practice=locked.practice,
            actor=actor,
            action="mail.resubscribe" if subscribe else "mail.unsubscribe",
            profile=locked.profile,
            detail={"kind": kind},
        )
        return True


def mark_ready_for_pickup(*, practice: Practice, order: PrizeOrder, actor: Actor) -> PickupNotice:
    """Staff have the prize at the desk: the patient is told (if they asked for that mail)."""
    with transaction.atomic():
        order = PrizeOrder.objects.select_for_update().select_related("prize", "profile").get(
            pk=order.pk, practice=practice
        )
        if order.status != OrderStatus.TODO:
            raise ActionError(
                "order_closed",
                f"This order was already {order.get_status_display().lower()}.",
                status=409,
            )
        notice, created = PickupNotice.objects.get_or_create(
            order=order, defaults={"practice": practice, "marked_by_label": actor.label[:200]}
        )
        if not created:
            raise ActionError(
                "already_ready",
                f"“{order.prize.name}” was already marked ready to pick up. Nothing was changed.",
                status=409,
            )
        record_event(
            practice=practice,
            actor=actor,
            action="order.ready",
            profile=order.profile,
            detail={"prize": order.prize.name},
        )
        hooks.prize_ready(practice.pk, order.profile_id, order.pk)
        return notice
