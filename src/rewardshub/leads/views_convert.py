"""Converting a lead by hand on its page: staff find the patient the lead
became among the practice's patients (a name, phone, email, username, card
number or swipe, as the Search patients box takes them), pick one, and
confirm. The conversion is the one a confirmed match makes (conversion.py).

The search posts, so no name or card number lands in a URL; the patient
picked travels as their opaque id. A patient of another practice is not
found, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rewardshub.errors import ActionError
from rewardshub.leads import conversion, queries
from rewardshub.leads.forms import ConvertForm, ConvertSearchForm
from rewardshub.leads.models import Lead
from rewardshub.leads.views import detail_context
from rewardshub.patients import queries as patients
from rewardshub.patients.actions import record_profile_view
from rewardshub.patients.models import Profile
from rewardshub.practices.context import HubContext, staff_view

MAX_CANDIDATES = 20
NOT_FOUND = "That patient was not found in this practice. Search again. Nothing was changed."
UNCONNECTED = (
    "That card is not connected to any patient yet. Find the patient by name, or connect "
    "the card on their profile first."
)


def _page(
    request: HttpRequest, hub: HubContext, lead: Lead, status: int, **extra: Any
) -> HttpResponse:
    context = detail_context(hub, lead, **extra)
    return render(request, "leads/detail.html", context, status=status)


def _candidates(hub: HubContext, text: str) -> tuple[list[Profile], str, bool]:
    """The patients a search finds, what to say instead, and whether the text
    may be shown back in the box (a name may; a card number or swipe not)."""
    outcome = patients.search(hub.practice, text)
    if outcome.error is not None:
        return [], outcome.error.message, False
    if outcome.profile is not None:
        return [outcome.profile], "", False
    if outcome.unconnected:
        return [], UNCONNECTED, False
    assert outcome.names is not None
    found = list(outcome.names.order_by("last_name", "first_name", "id")[:MAX_CANDIDATES])
    return found, "", True


@require_POST
@staff_view()
def convert_find(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    lead = queries.get_lead(hub.practice, public_id)
    form = ConvertSearchForm(request.POST)
    if not form.is_valid():
        return _page(request, hub, lead, 422, search_form=form)
    text = form.cleaned_data["q"].strip()
    candidates, error, show_text = _candidates(hub, text)
    search_form = ConvertSearchForm(initial={"q": text} if show_text else None)
    return _page(
        request,
        hub,
        lead,
        422 if error else 200,
        search_form=search_form,
        candidates=candidates,
        searched=True,
        convert_error=error,
    )


@require_POST
@staff_view()
def convert(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    """Without `confirm`: show the patient picked, to confirm. With it: convert."""
    lead = queries.get_lead(hub.practice, public_id)
    form = ConvertForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _page(request, hub, lead, 422, convert_error=error)
    found = Profile.objects.filter(
        practice=hub.practice, public_id=form.cleaned_data["profile"]
    ).first()
    if found is None:
        return _page(request, hub, lead, 404, convert_error=NOT_FOUND)
    # A merged profile stands for the one it was merged into, as everywhere.
    profile = patients.survivor_of(found)
    if not form.cleaned_data["confirm"]:
        record_profile_view(
            practice=hub.practice, profile=profile, actor=hub.actor, page="lead_convert"
        )
        return _page(request, hub, lead, 200, picked=profile)
    try:
        lead = conversion.convert_lead(
            practice=hub.practice, lead=lead, profile=profile, actor=hub.actor
        )
    except ActionError as exc:
        return _page(request, hub, lead, exc.status, convert_error=exc.message)
    messages.success(
        request,
        f"Converted: the lead is hub patient {profile.username} now, "
        f"with the status {lead.get_status_display()}.",
    )
    return redirect("leads:detail", lead.public_id)
