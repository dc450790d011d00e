"""Prize catalog settings (owners and admins) and the prize picture.

Pages are GETs; each change POSTs to its own address, calls one action in
points/prize_actions.py and redirects. Another practice's prize is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from rewardshub.errors import ActionError
from rewardshub.points import prize_actions
from rewardshub.points.models import Prize
from rewardshub.points.prize_forms import PrizeForm
from rewardshub.points.prize_pictures import picture_response
from rewardshub.practices.context import HubContext, get_hub, staff_view
from rewardshub.practices.models import SETTINGS_ROLES


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"points/{template}",
        {"nav": "settings", "section": "prizes", **context},
        status=status,
    )


def get_prize(hub: HubContext, public_id: uuid.UUID) -> Prize:
    return get_object_or_404(Prize, practice=hub.practice, public_id=public_id)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def prize_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    prizes = Prize.objects.filter(practice=hub.practice).order_by("-active", "cost", "name")
    return _page(request, "prizes.html", {"prizes": prizes})


def _save(
    request: HttpRequest, hub: HubContext, form: PrizeForm, prize: Prize | None
) -> HttpResponse | None:
    """Run the action for a valid form; None when it refused (the error is on the form)."""
    picture = form.cleaned_data["picture"]
    try:
        if prize is None:
            prize = prize_actions.create_prize(
                practice=hub.practice,
                actor=hub.actor,
                picture=picture,
                **form.data_fields(),
            )
            messages.success(request, f"“{prize.name}” was added to the prizes.")
        else:
            changed = prize_actions.update_prize(
                practice=hub.practice,
                prize=prize,
                actor=hub.actor,
                data=form.data_fields(),
                picture=picture,
                remove_picture=form.cleaned_data["remove_picture"],
            )
            if changed:
                messages.success(request, f"“{form.cleaned_data['name']}” saved.")
            else:
                messages.info(request, "Nothing was changed.")
    except ActionError as exc:
        form.add_error("name" if exc.code == "prize_name_taken" else None, exc.message)
        return None
    return redirect("prizes:list")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def prize_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = PrizeForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            done = _save(request, hub, form, None)
            if done is not None:
                return done
        return _page(request, "prize_form.html", {"form": form, "prize": None}, status=422)
    return _page(request, "prize_form.html", {"form": form, "prize": None})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def prize_edit(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    prize = get_prize(hub, public_id)
    if request.method == "POST":
        form = PrizeForm(request.POST, request.FILES)
        if form.is_valid():
            done = _save(request, hub, form, prize)
            if done is not None:
                return done
        return _page(request, "prize_form.html", {"form": form, "prize": prize}, status=422)
    initial = {
        "name": prize.name,
        "description": prize.description,
        "cost": prize.cost,
        "stock": prize.stock,
        "active": prize.active,
    }
    return _page(request, "prize_form.html", {"form": PrizeForm(initial=initial), "prize": prize})


@require_safe
def prize_picture(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A prize's picture, for the staff pages and the patient portal.

    Staff see the pictures of their practice's prizes; staff of another
    practice get a 404. Without a staff session (the portal), only offered
    prizes' pictures are served: they are the practice's own catalog
    artwork, addressed by an unguessable id, and hold no patient data. The
    file comes from the default storage (the database, or S3), so any host
    serves what another received.
    """
    hub = get_hub(request)
    prize = Prize.objects.filter(public_id=public_id).exclude(picture="").first()
    if prize is None:
        raise Http404
    if hub is not None and hub.practice.pk != prize.practice_id:
        raise Http404
    if hub is None and not prize.active:
        raise Http404
    return picture_response(request, prize.picture, cache_control="private, max-age=300")
