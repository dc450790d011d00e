"""Staff pages of patient mail: the preview of every kind (Settings > Patient mail),
and marking a prize order ready to pick up (the Orders page)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from rewardshub.errors import ActionError
from rewardshub.notify.actions import mark_ready_for_pickup
from rewardshub.notify.compose import RenderedMail, render_mail, site_url
from rewardshub.notify.kinds import OPT_IN, TRANSACTIONAL, Kind, kind_named
from rewardshub.notify.samples import SAMPLE_UNSUBSCRIBE, sample_context
from rewardshub.points.models import PrizeOrder
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES, Role

# Who works the Orders page (points.views_orders): every role, financial included.
PICKUP_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MARKETING, Role.REWARDS, Role.FINANCIAL})

# The mail's own page in the preview's frame: its inline styles allowed, nothing
# else it could load or run, framed by the hub's own pages only.
PREVIEW_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "script-src": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
}


def _kind(value: str) -> Kind:
    kind = kind_named(value)
    if kind is None:
        raise Http404("No such kind of mail.")
    return kind


def _sample(hub: HubContext, kind: Kind) -> RenderedMail:
    unsubscribe = "" if kind.transactional else site_url(SAMPLE_UNSUBSCRIBE)
    return render_mail(
        kind.value,
        hub.practice,
        sample_context(kind.value),
        unsubscribe_url=unsubscribe,
        preview=True,
    )


@require_GET
@staff_view(roles=SETTINGS_ROLES)
def preview_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    chosen = _kind(request.GET.get("kind") or OPT_IN[0].value)
    context = {
        "nav": "settings",
        "section": "mail",
        "opt_in": OPT_IN,
        "transactional": TRANSACTIONAL,
        "chosen": chosen,
        "mail": _sample(hub, chosen),
    }
    return render(request, "notify/settings_preview.html", context)


@require_GET
@staff_view(roles=SETTINGS_ROLES)
def preview_html(request: HttpRequest, kind: str, *, hub: HubContext) -> HttpResponse:
    """The HTML part alone, for the preview page's frame."""
    response = HttpResponse(_sample(hub, _kind(kind)).html)
    response._csp_replace = PREVIEW_CSP  # type: ignore[attr-defined]
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@require_POST
@staff_view(roles=PICKUP_ROLES)
def ready_for_pickup(
    request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    order = get_object_or_404(
        PrizeOrder.objects.select_related("profile", "prize"),
        practice=hub.practice,
        public_id=public_id,
    )
    try:
        mark_ready_for_pickup(practice=hub.practice, order=order, actor=hub.actor)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"“{order.prize.name}” is marked ready to pick up; {order.profile.first_name} gets "
            "a mail if they asked for one.",
        )
    return redirect("orders:list")
