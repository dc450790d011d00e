"""Prize orders, staff side: ordering for a patient from the profile, the
orders page (to do / done), fulfil, cancel and the printable receipt.

Financial staff work the orders page and receipts (they hand prizes out and
need the patient's name) but never reach a profile: ordering for a patient
is a patient page (PATIENT_ROLES), and patient names on the orders page only
link to the profile for roles that may open it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from rewardshub.errors import ActionError
from rewardshub.patients import queries as patient_queries
from rewardshub.patients.models import Profile
from rewardshub.points.models import OrderStatus, Prize, PrizeOrder
from rewardshub.points.orders import cancel_order, fulfil_order, order_prize
from rewardshub.points.prize_forms import CancelOrderForm
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import PATIENT_ROLES, Role
from rewardshub.web import back_to_profile, patient_view
from rewardshub.wording import count_of

ORDER_ROLES = frozenset(
    {Role.OWNER, Role.ADMIN, Role.MARKETING, Role.REWARDS, Role.FINANCIAL}
)
PAGE_SIZE = 50


def order_view(view: Any) -> Any:
    return staff_view(ORDER_ROLES)(view)


def get_order(hub: HubContext, public_id: uuid.UUID) -> PrizeOrder:
    return get_object_or_404(
        PrizeOrder.objects.select_related("profile", "prize"),
        practice=hub.practice,
        public_id=public_id,
    )


# --- Ordering for a patient (from the profile) ----------------------------


def _offer(profile: Profile, prize: Prize) -> dict[str, Any]:
    """A prize as the ordering page shows it, with why it cannot be ordered."""
    reason = ""
    if prize.stock is not None and prize.stock < 1:
        reason = "Out of stock"
    elif profile.points_balance < prize.cost:
        reason = f"Needs {count_of(prize.cost - profile.points_balance, 'more point')}"
    return {"prize": prize, "reason": reason}


def _order_page(
    request: HttpRequest, hub: HubContext, profile: Profile, *, error: str = "",
    status: int = 200,
) -> HttpResponse:
    prizes = Prize.objects.filter(practice=hub.practice, active=True)
    context = {
        "nav": "patients",
        "profile": profile,
        "offers": [_offer(profile, prize) for prize in prizes],
        "error": error,
    }
    return render(request, "points/order_prize.html", context, status=status)


@require_GET
@patient_view
def order_for_patient(
    request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    profile = patient_queries.get_profile(hub.practice, public_id)
    return _order_page(request, hub, profile)


@require_POST
@patient_view
def place_order(
    request: HttpRequest, public_id: uuid.UUID, prize_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    profile = patient_queries.get_profile(hub.practice, public_id)
    prize = get_object_or_404(Prize, practice=hub.practice, public_id=prize_id)
    try:
        order = order_prize(practice=hub.practice, profile=profile, prize=prize, actor=hub.actor)
    except ActionError as exc:
        profile.refresh_from_db(fields=["points_balance"])
        return _order_page(request, hub, profile, error=exc.message, status=exc.status)
    messages.success(
        request,
        f"Ordered “{prize.name}” for {order.profile.first_name}: {count_of(order.cost, 'point')}. "
        f"New balance: {count_of(order.profile.points_balance, 'point')}. "
        "The order is on the Orders page as to do.",
    )
    return back_to_profile(request, profile)


# --- The orders page ------------------------------------------------------


@require_GET
@order_view
def order_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    show = "done" if request.GET.get("show") == "done" else "todo"
    found = PrizeOrder.objects.filter(practice=hub.practice).select_related(
        "profile", "prize", "cancel_entry"
    )
    if show == "todo":
        # Oldest first: the patient who has waited longest is served first.
        found = found.filter(status=OrderStatus.TODO).order_by("created_at", "id")
    else:
        found = found.exclude(status=OrderStatus.TODO).order_by("-handled_at", "-id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "orders",
        "show": show,
        "page": page,
        "orders": page.object_list,
        "todo_count": PrizeOrder.objects.filter(
            practice=hub.practice, status=OrderStatus.TODO
        ).count(),
        "link_profiles": hub.role in PATIENT_ROLES,
        "cancel_form": CancelOrderForm(),
    }
    return render(request, "points/orders.html", context)


@require_POST
@order_view
def order_fulfil(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    order = get_order(hub, public_id)
    try:
        fulfil_order(practice=hub.practice, order=order, actor=hub.actor)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"“{order.prize.name}” for {order.profile.first_name} is fulfilled."
        )
    return redirect("orders:list")


@require_POST
@order_view
def order_cancel(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    order = get_order(hub, public_id)
    form = CancelOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["reason"][0]))
        return redirect("orders:list")
    try:
        cancel_order(
            practice=hub.practice, order=order, actor=hub.actor, reason=form.cleaned_data["reason"]
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"The order of “{order.prize.name}” is cancelled; "
            f"{count_of(order.cost, 'point')} went back to {order.profile.first_name}.",
        )
    return redirect("orders:list")


@require_GET
@order_view
def order_receipt(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    order = get_order(hub, public_id)
    context = {
        "nav": "orders",
        "order": order,
        "number": order.public_id.hex[:8].upper(),
        "printed_at": timezone.now(),
    }
    return render(request, "points/receipt.html", context)
