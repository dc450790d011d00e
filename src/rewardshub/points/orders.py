"""Prize orders: points are debited when the order is placed, given back if it is cancelled."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.fastsql import create
from rewardshub.notify import hooks as mail_hooks
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import lock_profile, not_enough_points, post
from rewardshub.points.models import EntryKind, LedgerEntry, OrderStatus, Prize, PrizeOrder
from rewardshub.practices.models import Practice
from rewardshub.statement import Statement

# An order's reads and writes are compiled once (fastsql), as an award's are: the
# ORM's compile of the prize's lock and the order's INSERT cost about 0.35 ms an
# order on SQLite, all of it under the write lock.
_PRIZE = Statement(
    lambda pk, practice_id: Prize.objects.select_for_update().filter(
        pk=pk, practice_id=practice_id
    ),
    int,
    int,
    kind="models",
)


def already_ordered() -> ActionError:
    return ActionError(
        "already_ordered",
        "This order was already placed (the button was pressed twice); it was placed once. "
        "Nothing more was taken.",
        status=409,
    )


def order_prize(
    *,
    practice: Practice,
    profile: Profile,
    prize: Prize,
    actor: Actor,
    idempotency_key: str | None = None,
) -> PrizeOrder:
    """Debit the prize's cost and take one from stock; the order waits as "to do".

    With `idempotency_key` (one per confirmation form), a second request with
    the same key is refused with `already_ordered` and changes nothing: it is
    checked under the profile's lock, so a double-submit that races the first
    sees its entry (and the ledger's unique key is the last line).
    """
    with transaction.atomic():
        profile = lock_profile(practice, profile)
        if (
            idempotency_key is not None
            and LedgerEntry.objects.filter(
                practice=practice, idempotency_key=idempotency_key
            ).exists()
        ):
            raise already_ordered()
        prize = _PRIZE.first(prize.pk, practice.pk)
        if prize is None:
            raise Prize.DoesNotExist("No such prize in this practice.")
        if not prize.active:
            raise ActionError(
                "prize_unavailable", f"“{prize.name}” is no longer offered.", status=409
            )
        if prize.stock is not None and prize.stock < 1:
            raise ActionError(
                "out_of_stock",
                f"“{prize.name}” is out of stock. Pick another prize, or ask the front desk "
                "when it will be back.",
                status=409,
            )
        if profile.points_balance < prize.cost:
            raise not_enough_points(profile, prize.cost)
        entry = post(
            practice=practice,
            profile=profile,
            points=-prize.cost,
            kind=EntryKind.REDEEM,
            actor=actor,
            description=prize.name,
            idempotency_key=idempotency_key,
        )
        if prize.stock is not None:
            Prize.objects.filter(pk=prize.pk).update(stock=F("stock") - 1)
        order = create(
            PrizeOrder(practice=practice, profile=profile, prize=prize, cost=prize.cost,
                       redeem_entry=entry, ordered_by_label=actor.label)
        )
        record_event(
            practice=practice,
            actor=actor,
            action="order.create",
            profile=profile,
            detail={"prize": prize.name, "points": -prize.cost, "balance": profile.points_balance},
        )
        return order


def _locked_todo(practice: Practice, order: PrizeOrder) -> PrizeOrder:
    order = PrizeOrder.objects.select_for_update().get(pk=order.pk, practice=practice)
    if order.status != OrderStatus.TODO:
        raise ActionError(
            "order_closed",
            f"This order was already {order.get_status_display().lower()}.",
            status=409,
        )
    return order


def fulfil_order(*, practice: Practice, order: PrizeOrder, actor: Actor) -> PrizeOrder:
    """The prize was handed over."""
    with transaction.atomic():
        order = _locked_todo(practice, order)
        order.status = OrderStatus.FULFILLED
        order.handled_by_label = actor.label
        order.handled_at = timezone.now()
        order.save(update_fields=["status", "handled_by_label", "handled_at"])
        record_event(
            practice=practice,
            actor=actor,
            action="order.fulfil",
            profile=order.profile,
            detail={"prize": order.prize.name},
        )
        return order


def cancel_order(
    *, practice: Practice, order: PrizeOrder, actor: Actor, reason: str = ""
) -> PrizeOrder:
    """Give the points back (a reversal entry) and put the prize back in stock."""
    with transaction.atomic():
        profile = lock_profile(practice, order.profile)
        order = _locked_todo(practice, order)
        order.cancel_entry = post(
            practice=practice,
            profile=profile,
            points=order.cost,
            kind=EntryKind.REVERSAL,
            actor=actor,
            description=reason.strip() or f"Order of {order.prize.name} cancelled",
            reverses=order.redeem_entry,
        )
        Prize.objects.filter(pk=order.prize_id, stock__isnull=False).update(stock=F("stock") + 1)
        order.status = OrderStatus.CANCELLED
        order.handled_by_label = actor.label
        order.handled_at = timezone.now()
        order.save(update_fields=["cancel_entry", "status", "handled_by_label", "handled_at"])
        record_event(
            practice=practice,
            actor=actor,
            action="order.cancel",
            profile=profile,
            detail={
                "prize": order.prize.name,
                "points": order.cost,
                "balance": profile.points_balance,
            },
        )
        mail_hooks.order_cancelled(practice.pk, profile.pk, order.pk)
        return order


def cancel_by_patient(
    *, practice: Practice, profile: Profile, order: PrizeOrder, actor: Actor, reason: str = ""
) -> PrizeOrder:
    """The patient cancelled their own to-do order in the portal: `cancel_order`,
    with a ledger line that says so (and their reason, if they gave one)."""
    if order.profile_id != profile.pk or order.practice_id != practice.pk:
        raise ActionError(
            "order_not_yours", "That order isn’t one of yours. Nothing was changed.", status=404
        )
    what = f"Order of {order.prize.name} cancelled in the portal"
    # Notify: the "order cancelled" mail (cancelled by the patient) hooks in here, on commit.
    return cancel_order(
        practice=practice, order=order, actor=actor, reason=f"{what}: {reason}" if reason else what
    )
