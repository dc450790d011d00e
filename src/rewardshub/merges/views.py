"""Staff pages of profile merge (owners and admins): the duplicate suggestions,
the side-by-side review of a pair and the confirm step that merges."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from rewardshub.errors import ActionError
from rewardshub.merges import wording
from rewardshub.merges.actions import check_pair, link_conflict_error, merge_profiles
from rewardshub.merges.facts import column
from rewardshub.merges.forms import MergeForm
from rewardshub.merges.queries import duplicate_pairs, get_any_profile
from rewardshub.merges.rules import plan_merge
from rewardshub.patients.actions import record_profile_view
from rewardshub.patients.models import Profile
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES

merge_view = staff_view(SETTINGS_ROLES)


@require_GET
@merge_view
def duplicates(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    pairs = duplicate_pairs(hub.practice)
    return render(request, "merges/duplicates.html", {"nav": "patients", "pairs": pairs})


def _review_context(survivor: Profile, merged: Profile, form: MergeForm) -> dict[str, Any]:
    refusal = None
    plan = None
    try:
        check_pair(survivor, merged)
    except ActionError as exc:
        refusal = exc.message
    keep, other = column(survivor), column(merged)
    if refusal is None:
        plan = plan_merge(keep.side, other.side)
        if plan.conflicts:
            refusal = link_conflict_error(plan.conflicts[0]).message
    return {
        "nav": "patients",
        "survivor": survivor,
        "merged": merged,
        "keep": keep,
        "other": other,
        "plan": plan,
        "moves": wording.moves(merged, plan) if plan is not None and refusal is None else [],
        "refusal": refusal,
        "form": form,
    }


@require_GET
@merge_view
def review(
    request: HttpRequest,
    survivor_profile: uuid.UUID,
    merged_profile: uuid.UUID,
    *,
    hub: HubContext,
) -> HttpResponse:
    survivor = get_any_profile(hub.practice, survivor_profile)
    merged = get_any_profile(hub.practice, merged_profile)
    for profile in {survivor.pk: survivor, merged.pk: merged}.values():
        record_profile_view(practice=hub.practice, profile=profile, actor=hub.actor, page="merge")
    context = _review_context(survivor, merged, MergeForm())
    return render(request, "merges/review.html", context)


@require_POST
@merge_view
def confirm(
    request: HttpRequest,
    survivor_profile: uuid.UUID,
    merged_profile: uuid.UUID,
    *,
    hub: HubContext,
) -> HttpResponse:
    survivor = get_any_profile(hub.practice, survivor_profile)
    merged = get_any_profile(hub.practice, merged_profile)
    form = MergeForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            result = merge_profiles(
                practice=hub.practice, survivor=survivor, merged=merged, actor=hub.actor
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
            status = exc.status
            survivor.refresh_from_db()
            merged.refresh_from_db()
        else:
            messages.success(request, wording.merged_message(result))
            return redirect("patients:detail", public_id=result.survivor.public_id)
    context = _review_context(survivor, merged, form)
    return render(request, "merges/review.html", context, status=status)
