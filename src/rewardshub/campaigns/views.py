"""QR code settings (owners and admins): the list, add, change and the printable page.

Pages are GETs; each change POSTs, calls one action in campaigns/actions.py
and redirects. Codes are addressed by their public id; another practice's
code is a 404. The token (the patient's address) appears only on the
printable page and in the code itself.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from rewardshub.campaigns import actions, queries
from rewardshub.campaigns.forms import QrCodeForm
from rewardshub.campaigns.models import QrCode
from rewardshub.campaigns.printing import collect_url, qr_picture
from rewardshub.errors import ActionError
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"campaigns/{template}",
        {"nav": "settings", "section": "campaigns", **context},
        status=status,
    )


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def qr_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    context = {
        "codes": queries.qr_codes(hub.practice),
        "today": actions.practice_today(hub.practice),
        "awards": queries.group_awards(hub.practice)[:5],
    }
    return _page(request, "qr_list.html", context)


def _save(
    request: HttpRequest, hub: HubContext, form: QrCodeForm, code: QrCode | None
) -> HttpResponse | None:
    """Run the action for a valid form; None when it refused (the error is on the form)."""
    fields = form.fields_for_action()
    try:
        if code is None:
            code = actions.create_qr_code(practice=hub.practice, fields=fields, actor=hub.actor)
            messages.success(request, f"QR code “{code.label}” added. Print it from here.")
            return redirect("campaigns:qr_print", public_id=code.public_id)
        changed = actions.update_qr_code(
            practice=hub.practice, code=code, fields=fields, actor=hub.actor
        )
    except ActionError as exc:
        form.add_error(None, exc.message)
        return None
    if changed:
        messages.success(request, f"QR code “{fields.label}” saved. The printed code still works.")
    else:
        messages.info(request, "Nothing was changed.")
    return redirect("campaigns:qr_list")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def qr_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    if request.method == "POST":
        form = QrCodeForm(request.POST, practice=hub.practice)
        if form.is_valid():
            done = _save(request, hub, form, None)
            if done is not None:
                return done
        return _page(request, "qr_form.html", {"form": form, "code": None}, status=422)
    initial = {"valid_from": actions.practice_today(hub.practice)}
    form = QrCodeForm(initial=initial, practice=hub.practice)
    return _page(request, "qr_form.html", {"form": form, "code": None})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def qr_edit(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    code = queries.get_qr_code(hub.practice, public_id)
    if request.method == "POST":
        form = QrCodeForm(request.POST, practice=hub.practice)
        if form.is_valid():
            done = _save(request, hub, form, code)
            if done is not None:
                return done
        return _page(request, "qr_form.html", {"form": form, "code": code}, status=422)
    initial = {
        "reward_item": code.reward_item.public_id if code.reward_item else None,
        "label": code.label,
        "points": code.points,
        "valid_from": code.valid_from,
        "valid_until": code.valid_until,
        "limit": code.limit,
        "every_days": code.every_days,
        "active": code.active,
    }
    form = QrCodeForm(initial=initial, practice=hub.practice)
    return _page(request, "qr_form.html", {"form": form, "code": code})


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def qr_print(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    """A page to print and hang up: the label, the points, the code and how to use it."""
    code = queries.get_qr_code(hub.practice, public_id)
    url = collect_url(request, code)
    context = {"code": code, "url": url, "picture": qr_picture(url)}
    return _page(request, "qr_print.html", context)
