"""The patient's prize orders: confirm an order, see them, cancel one still to do.

Ordering takes two steps that work without JavaScript: the store's "Order"
button opens a confirmation page (a GET that changes nothing), whose "Yes,
order it" button POSTs with a token made for that page, so a button pressed
twice places one order. A to-do order is cancelled through the same action
the front desk uses (points.orders.cancel_order): the points come back as a
reversal entry, the prize goes back in stock, and the audit row names the
patient.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rewardshub.errors import ActionError
from rewardshub.points.models import OrderStatus, Prize, PrizeOrder
from rewardshub.points.orders import cancel_by_patient, order_prize
from rewardshub.portal import actions, queries
from rewardshub.portal.forms import CancelOrderForm, ConfirmOrderForm
from rewardshub.portal.language import points_of
from rewardshub.portal.session import PortalUser, portal_view

NOT_YOURS = gettext_noop(
    "That order isn’t one of yours, or it doesn’t exist. Nothing was changed. "
    "Your orders are below."
)


def _orders_page(
    request: HttpRequest, me: PortalUser, *, error: str = "", status: int = 200
) -> HttpResponse:
    actions.record_portal_view(profile=me.profile, actor=me.actor, page="orders")
    context = {
        "me": me,
        "profile": me.profile,
        "practice": me.practice,
        "nav": "orders",
        "todo": list(queries.todo_orders(me.profile)),
        "done": list(queries.done_orders(me.profile).select_related("cancel_entry")[:50]),
        "cancel_form": CancelOrderForm(),
        "error": error,
    }
    return render(request, "portal/orders.html", context, status=status)


@never_cache
@require_GET
@portal_view
def orders_view(request: HttpRequest, *, me: PortalUser) -> HttpResponse:
    return _orders_page(request, me)


def _confirm_page(
    request: HttpRequest, me: PortalUser, prize: Prize, *, error: str = "", status: int = 200
) -> HttpResponse:
    actions.record_portal_view(profile=me.profile, actor=me.actor, page="order")
    balance = me.profile.points_balance
    context = {
        "me": me,
        "profile": me.profile,
        "practice": me.practice,
        "nav": "store",
        "prize": prize,
        "reason": queries.why_not(me.profile, prize),
        "after": balance - prize.cost,
        "form": ConfirmOrderForm(initial={"token": uuid.uuid4()}),
        "error": error,
    }
    return render(request, "portal/order_confirm.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@portal_view
def order_view(request: HttpRequest, public_id: uuid.UUID, *, me: PortalUser) -> HttpResponse:
    """GET: "Order this prize?"; POST (its "Yes, order it" button): place the order."""
    prize = queries.get_prize(me.profile, public_id)
    if request.method == "GET":
        return _confirm_page(request, me, prize)
    form = ConfirmOrderForm(request.POST)
    if not form.is_valid():
        return _confirm_page(
            request,
            me,
            prize,
            error=gettext("Nothing was ordered yet: check the prize and press “Yes, order it”."),
            status=400,
        )
    # One token per confirmation page, scoped to the patient: a second press of
    # the same page's button finds the first order's ledger entry.
    key = f"portal-order:{me.profile.pk}:{form.cleaned_data['token']}"
    try:
        order_prize(
            practice=me.practice,
            profile=me.profile,
            prize=prize,
            actor=me.actor,
            idempotency_key=key,
        )
    except ActionError as exc:
        if exc.code == "already_ordered":
            messages.info(
                request,
                gettext("You already ordered “%(prize)s”: it is below, ordered once.")
                % {"prize": prize.name},
            )
            return redirect("portal:orders")
        messages.error(request, exc.message)
        return redirect("portal:store")
    messages.success(
        request,
        gettext("You ordered “%(prize)s”! Pick it up at the front desk on your next visit.")
        % {"prize": prize.name},
    )
    return redirect("portal:orders")


def _closed(request: HttpRequest, order: PrizeOrder) -> HttpResponse:
    """Why an order can no longer be cancelled, as the patient reads it."""
    name = order.prize.name
    if order.status == OrderStatus.CANCELLED:
        messages.info(
            request,
            gettext(
                "“%(prize)s” is already cancelled and its points were given back once. "
                "Nothing more was changed."
            )
            % {"prize": name},
        )
    else:
        messages.error(
            request,
            gettext(
                "You already picked up “%(prize)s”, so it can’t be cancelled. Nothing was changed."
            )
            % {"prize": name},
        )
    return redirect("portal:orders")


@never_cache
@require_POST
@portal_view
def cancel_view(request: HttpRequest, public_id: uuid.UUID, *, me: PortalUser) -> HttpResponse:
    order = queries.own_order(me.profile, public_id)
    if order is None:
        # Another patient's order and no order at all answer the same.
        return _orders_page(request, me, error=gettext(NOT_YOURS), status=404)
    form = CancelOrderForm(request.POST)
    if not form.is_valid():
        return _orders_page(request, me, error=str(form.errors["reason"][0]), status=422)
    if order.status != OrderStatus.TODO:
        return _closed(request, order)
    try:
        cancel_by_patient(
            practice=me.practice,
            profile=me.profile,
            order=order,
            actor=me.actor,
            reason=form.cleaned_data["reason"],
        )
    except ActionError as exc:
        if exc.code != "order_closed":
            messages.error(request, exc.message)
            return redirect("portal:orders")
        # A double-submit: the first press cancelled it while this one waited.
        order.refresh_from_db(fields=["status"])
        return _closed(request, order)
    me.profile.refresh_from_db(fields=["points_balance"])
    messages.success(
        request,
        gettext("You cancelled “%(prize)s” and got your %(points)s back: you have %(balance)s now.")
        % {
            "prize": order.prize.name,
            "points": points_of(order.cost),
            "balance": points_of(me.profile.points_balance),
        },
    )
    return redirect("portal:orders")
