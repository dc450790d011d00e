"""The Leads pages for staff who see patients (front desk and up): the list
with its status filter and counts, add and edit, the status, and erasing a
lost lead (owners and admins). Another practice's lead is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rewardshub.audit.actions import record_event
from rewardshub.errors import ActionError
from rewardshub.leads import actions, queries
from rewardshub.leads.forms import ConvertSearchForm, LeadForm, StatusFilterForm, StatusForm
from rewardshub.leads.models import Lead
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import survivor_of
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES

NO_REFERRER = (
    "No patient of this practice has that username. Copy it from the patient's profile "
    "(the 16 digits under their name), or leave it empty."
)


@require_GET
@staff_view()
def lead_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    filtered = StatusFilterForm(request.GET)
    status = filtered.cleaned_data["status"] if filtered.is_valid() else ""
    counts = queries.status_counts(hub.practice)
    context = {
        "nav": "leads",
        "leads": queries.lead_list(hub.practice, status),
        "status": status,
        "counts": counts,
        "total": sum(row.count for row in counts),
        "matches": queries.proposed_matches(hub.practice),
        "bad_filter": not filtered.is_valid(),
    }
    return render(request, "leads/list.html", context, status=422 if context["bad_filter"] else 200)


def _referrer(hub: HubContext, username: str) -> Profile | None:
    found = Profile.objects.filter(practice=hub.practice, username=username).first()
    # A merged profile's username names the profile it was merged into.
    return survivor_of(found) if found is not None else None


@require_http_methods(["GET", "POST"])
@staff_view()
def lead_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["referred_by"]
        referrer = _referrer(hub, username) if username else None
        if username and referrer is None:
            form.add_error("referred_by", NO_REFERRER)
        else:
            lead = actions.create_lead(
                practice=hub.practice, data=form.values(), actor=hub.actor, referred_by=referrer
            )
            messages.success(request, f"Added lead {lead.full_name}.")
            return redirect("leads:detail", lead.public_id)
    status = 422 if request.method == "POST" else 200
    context = {"nav": "leads", "form": form, "lead": None}
    return render(request, "leads/form.html", context, status=status)


def detail_context(hub: HubContext, lead: Lead, **extra: Any) -> dict[str, Any]:
    """The lead's page (also for the manual conversion's steps, views_convert.py)."""
    return {
        "nav": "leads",
        "lead": lead,
        "status_form": StatusForm(initial={"status": lead.status}),
        "matches": [m for m in queries.proposed_matches(hub.practice) if m.lead_id == lead.pk],
        "can_erase": hub.role in SETTINGS_ROLES,
        # Owners and admins decide Pending rewards, where a held bonus waits.
        "can_decide": hub.role in SETTINGS_ROLES,
        "can_convert": lead.is_open,
        "search_form": ConvertSearchForm(),
        **extra,
    }


@require_GET
@staff_view()
def lead_detail(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    lead = queries.get_lead(hub.practice, public_id)
    record_event(
        practice=hub.practice,
        actor=hub.actor,
        action="lead.view",
        detail=actions.lead_detail(lead),
    )
    return render(request, "leads/detail.html", detail_context(hub, lead))


@require_http_methods(["GET", "POST"])
@staff_view()
def lead_edit(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    lead = queries.get_lead(hub.practice, public_id)
    if lead.erased_at is not None:
        messages.error(request, actions.erased_error().message)
        return redirect("leads:detail", lead.public_id)
    initial = {name: getattr(lead, name) for name in actions.LEAD_FIELDS}
    form = LeadForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_lead(
                practice=hub.practice, lead=lead, data=form.values(), actor=hub.actor
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("leads:detail", lead.public_id)
    status = 422 if request.method == "POST" else 200
    context = {"nav": "leads", "form": form, "lead": lead}
    return render(request, "leads/form.html", context, status=status)


@require_POST
@staff_view()
def lead_status(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    lead = queries.get_lead(hub.practice, public_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        context = detail_context(hub, lead, status_form=form)
        return render(request, "leads/detail.html", context, status=422)
    try:
        lead = actions.set_status(
            practice=hub.practice, lead=lead, status=form.cleaned_data["status"], actor=hub.actor
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Status: {lead.get_status_display()}.")
    return redirect("leads:detail", lead.public_id)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def lead_erase(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    lead = queries.get_lead(hub.practice, public_id)
    try:
        actions.erase_lead(practice=hub.practice, lead=lead, actor=hub.actor)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Erased the lead's personal details. An anonymous row stays for the counts."
        )
    return redirect("leads:detail", lead.public_id)


@require_GET
@staff_view()
def leaderboard(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    context = {"nav": "leads", "referrers": queries.referrers(hub.practice, limit=50)}
    return render(request, "leads/leaderboard.html", context)
