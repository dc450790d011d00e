"""Awarding points from a profile (and the PMS chart tab), misc awards and
reversals. The Pending rewards queue and gifts are in points/views_rewards.py.

Every form posts here and comes back to where it was (the profile, or the
chart view through `next`) with a message saying what happened and the new
balance; the rules live in points.actions.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from rewardshub.errors import ActionError
from rewardshub.patients.queries import get_profile
from rewardshub.points import queries
from rewardshub.points.actions import award_items, award_misc, reverse_entry
from rewardshub.points.forms import AwardForm, MiscForm, ReverseForm
from rewardshub.points.models import LedgerEntry, PendingAward
from rewardshub.practices.context import HubContext
from rewardshub.web import back_to_profile, patient_view


def _first_error(form: AwardForm | MiscForm | ReverseForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Check the form and try again."


def _points(n: int) -> str:
    return f"{n:,} point" if abs(n) == 1 else f"{n:,} points"


@require_POST
@patient_view
def award(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = get_profile(hub.practice, public_id)
    form = AwardForm(queries.active_items(hub.practice), request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return back_to_profile(request, profile)
    try:
        entries = award_items(
            practice=hub.practice,
            profile=profile,
            items=form.cleaned_data["items"],
            description=form.cleaned_data["description"],
            actor=hub.actor,
            location=profile.location,
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        total = sum(entry.points for entry in entries)
        balance = entries[-1].profile.points_balance
        messages.success(request, f"Awarded {_points(total)}. New balance: {balance:,}.")
    return back_to_profile(request, profile)


@require_POST
@patient_view
def misc(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = get_profile(hub.practice, public_id)
    form = MiscForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return back_to_profile(request, profile)
    try:
        result = award_misc(
            practice=hub.practice,
            profile=profile,
            points=form.cleaned_data["points"],
            description=form.cleaned_data["description"],
            actor=hub.actor,
            role=hub.role,
            location=profile.location,
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        if isinstance(result, PendingAward):
            messages.info(
                request,
                f"{_points(result.points)} for {profile.first_name} wait for approval by an "
                "owner or admin; the balance changes once they approve.",
            )
        else:
            balance = result.profile.points_balance
            messages.success(
                request, f"Awarded {_points(result.points)}. New balance: {balance:,}."
            )
    return back_to_profile(request, profile)


@require_POST
@patient_view
def reverse(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    entry: LedgerEntry = queries.get_entry(hub.practice, public_id)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return back_to_profile(request, entry.profile)
    try:
        reversal = reverse_entry(
            practice=hub.practice, entry=entry, reason=form.cleaned_data["reason"], actor=hub.actor
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        balance = reversal.profile.points_balance
        messages.success(
            request, f"Reversed {_points(abs(entry.points))}. New balance: {balance:,}."
        )
    return back_to_profile(request, entry.profile)
