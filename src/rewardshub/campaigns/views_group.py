"""Group awards (owners and admins): the form, its preview, the confirmation, the record.

The form and its preview are GETs (they change nothing; the preview reloads
safely). The preview carries a new key; the confirmation POSTs it with the
same fields to `make_group_award`, which pays once per key, and redirects
to the award's page.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from rewardshub.campaigns import group_actions, queries
from rewardshub.campaigns.forms import ConfirmGroupForm, GroupAwardForm
from rewardshub.errors import ActionError
from rewardshub.local_time import format_when
from rewardshub.points.models import RewardKind
from rewardshub.points.rewards import holds
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES
from rewardshub.wording import count_of

PAGE_SIZE = 50


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
def group_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    page = Paginator(queries.group_awards(hub.practice), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _page(request, "group_list.html", {"page": page, "awards": page.object_list})


def _form_page(request: HttpRequest, form: GroupAwardForm, status: int = 200) -> HttpResponse:
    return _page(request, "group_form.html", {"form": form}, status=status)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def group_new(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    """The form; with `preview`, the preview of what the confirmation would pay."""
    if "preview" not in request.GET:
        initial = {"tag": request.GET.get("tag") or None}
        return _form_page(request, GroupAwardForm(initial=initial, practice=hub.practice))
    form = GroupAwardForm(request.GET, practice=hub.practice)
    if not form.is_valid():
        return _form_page(request, form, status=422)
    try:
        spec = form.spec()
        plan = group_actions.preview(hub.practice, spec)
    except ActionError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, status=422)
    context = {
        "form": form,
        # The confirmation's idempotency key: sent again, it pays no one twice.
        "key": secrets.token_urlsafe(24),
        "spec": spec,
        "plan": plan,
        "total": plan.total(spec.points),
        "left_out": len(plan.excluded) + len(plan.recent),
    }
    return _page(request, "group_preview.html", context)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def group_confirm(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = ConfirmGroupForm(request.POST, practice=hub.practice)
    if not form.is_valid():
        return _form_page(request, form, status=422)
    try:
        result = group_actions.make_group_award(
            practice=hub.practice, spec=form.spec(), key=form.cleaned_data["key"], actor=hub.actor
        )
    except ActionError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, status=exc.status)
    award = result.award
    if result.created:
        left_out = award.excluded_count + award.recent_count
        verb = "Held for approval" if holds(hub.practice, RewardKind.GROUP) else "Gave"
        messages.success(
            request,
            f"{verb} {count_of(award.points, 'point')} (“{award.label}”) to "
            f"{count_of(award.recipients_count, 'patient')}: "
            f"{count_of(award.points_total, 'point')} in all."
            + (f" {count_of(left_out, 'patient')} left out." if left_out else ""),
        )
    else:
        messages.info(
            request,
            f"This group award was already made on {format_when(award.created_at)}: "
            "no one was paid twice.",
        )
    return redirect("campaigns:group_detail", public_id=award.public_id)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def group_detail(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    award = queries.get_group_award(hub.practice, public_id)
    page = Paginator(queries.recipients(award), PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request, "group_detail.html", {"award": award, "page": page, "rows": page.object_list}
    )
