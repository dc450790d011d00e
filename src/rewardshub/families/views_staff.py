"""Staff: a patient's Family page (parents and guardians, suggested family), invitations,
and confirming or removing each link. Every change is an action with its audit rows."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from rewardshub.families import actions, queries
from rewardshub.families.forms import InviteForm
from rewardshub.families.rules import is_placeholder
from rewardshub.patients.actions import record_profile_view
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import get_profile
from rewardshub.practices.context import HubContext
from rewardshub.web import patient_view, safe_next
from rewardshub.wording import count_of


def _family_page(
    request: HttpRequest, hub: HubContext, profile: Profile, form: InviteForm, status: int = 200
) -> HttpResponse:
    families = queries.families_of(profile)
    suggested = queries.suggested_family(profile)
    with transaction.atomic():
        record_profile_view(practice=hub.practice, profile=profile, actor=hub.actor, page="family")
        # Other children's names on this page are reads of their data too.
        shown = {link.profile_id for family in families for link in family.others}
        shown.update(p.pk for p in suggested)
        for other in Profile.objects.filter(pk__in=shown, practice=hub.practice):
            record_profile_view(
                practice=hub.practice, profile=other, actor=hub.actor, page="family"
            )
    context = {
        "nav": "patients",
        "profile": profile,
        "families": families,
        "suggested": suggested,
        "form": form,
    }
    return render(request, "families/staff_family.html", context, status=status)


@require_GET
@patient_view
def family_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = get_profile(hub.practice, public_id)
    email = "" if is_placeholder(profile.email) else profile.email.lower()
    return _family_page(request, hub, profile, InviteForm(initial={"email": email}))


@require_POST
@patient_view
def invite_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = get_profile(hub.practice, public_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _family_page(request, hub, profile, form, status=422)
    invitation = actions.invite_guardian(
        practice=hub.practice, profile=profile, email=form.cleaned_data["email"], actor=hub.actor
    )
    email = invitation.guardian.email
    if invitation.mailed:
        text = (
            f"Invitation sent to {email}. Once they open its link and choose a password, "
            f"they can sign in and act for {profile.first_name}."
        )
    else:
        text = f"{email} already signs in: they can now act for {profile.first_name} too."
    if invitation.proposed:
        text += (
            f" {count_of(len(invitation.proposed), 'other profile')} with the same email "
            "wait for you to confirm below."
        )
    messages.success(request, text)
    return redirect("families:family", public_id=profile.public_id)


def _back(request: HttpRequest, profile: Profile) -> HttpResponse:
    return redirect(
        safe_next(request) or reverse("families:family", kwargs={"public_id": profile.public_id})
    )


@require_POST
@patient_view
def confirm_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    link = queries.get_link(hub.practice, public_id)
    if actions.confirm_link(practice=hub.practice, link=link, actor=hub.actor):
        messages.success(
            request,
            f"Confirmed: {link.guardian.email} can now act for {link.profile.first_name}.",
        )
    else:
        messages.info(request, "That link was confirmed already. Nothing was changed.")
    return _back(request, link.profile)


@require_POST
@patient_view
def remove_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    link = queries.get_link(hub.practice, public_id)
    actions.remove_link(practice=hub.practice, link=link, actor=hub.actor)
    messages.success(
        request,
        f"Removed: {link.guardian.email} no longer sees {link.profile.first_name}, "
        "from their next page on.",
    )
    return _back(request, link.profile)
