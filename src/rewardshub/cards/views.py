"""Connect Card and Replace Card: the forms behind the profile's orange and blue buttons.

A reader's swipe ends with Enter, which submits the form; a typed number is
confirmed in a second field. Every refusal shows the action's message and
changes nothing (the actions are single transactions).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from rewardshub.audit.actors import Actor
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.cards.forms import CardForm, forget_card_input
from rewardshub.cards.queries import active_card, set_card_of
from rewardshub.errors import ActionError
from rewardshub.patients.actions import record_profile_view
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import get_profile
from rewardshub.practices.context import HubContext
from rewardshub.practices.models import Practice
from rewardshub.web import back_to_profile, patient_view, safe_next


def _other_mode_url(request: HttpRequest, name: str, profile: Profile) -> str:
    url = reverse(name, kwargs={"public_id": profile.public_id})
    target = safe_next(request)
    return f"{url}?{urlencode({'next': target})}" if target else url


def _confirm_set(profile: Profile, number: str) -> dict[str, str]:
    """What the confirmation of connecting `number` instead of the card the PMS set names."""
    return {"old": profile.username[-4:], "new": number[-4:]}


def _card_page(
    request: HttpRequest, hub: HubContext, public_id: uuid.UUID, *, mode: str
) -> HttpResponse:
    practice: Practice = hub.practice
    profile = get_profile(practice, public_id)
    current = active_card(profile)
    connecting = mode == "connect"
    confirm_set: dict[str, str] | None = None
    if request.method == "GET":
        # The button and the page must agree: a patient with a card gets Replace.
        if connecting and current is not None:
            return redirect(_other_mode_url(request, "cards:replace", profile))
        if not connecting and current is None:
            return redirect(_other_mode_url(request, "cards:connect", profile))
        record_profile_view(practice=practice, profile=profile, actor=hub.actor, page=mode)
        form = CardForm()
        status = 200
    else:
        form = CardForm(request.POST)
        status = 422
        if form.is_valid():
            actor: Actor = hub.actor
            number = form.cleaned_data["number"]
            try:
                if connecting:
                    card = connect_card(
                        practice=practice, profile=profile, raw=number, actor=actor,
                        retire_set_card=form.cleaned_data["retire_set_card"],
                    )
                else:
                    card = replace_card(practice=practice, profile=profile, raw=number, actor=actor)
            except ActionError as exc:
                status = exc.status
                if exc.code == "set_card_not_confirmed":
                    confirm_set = _confirm_set(profile, number)
                else:
                    form.add_error("card_number", exc.message)
            else:
                if connecting:
                    text = f"Card …{card.number[-4:]} is connected. It works from now on."
                    if form.cleaned_data["retire_set_card"] and profile.username != card.number:
                        text += (
                            f" Card …{profile.username[-4:]} set in Orthotrac was retired; its "
                            "number stays the patient's username."
                        )
                else:
                    old = current.number[-4:] if current else "?"
                    text = (
                        f"Card …{card.number[-4:]} is now the active card. Card …{old} was "
                        "retired and will never work again."
                    )
                messages.success(request, text)
                return back_to_profile(request, profile)
        if confirm_set is None:
            forget_card_input(form)
    context = {
        "nav": "patients",
        "profile": profile,
        "active_card": current,
        "set_card": set_card_of(profile) if connecting and current is None else None,
        "confirm_set": confirm_set,
        "form": form,
        "mode": mode,
        "return_to": safe_next(request) or "",
    }
    return render(request, "cards/card_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@patient_view
def connect_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    return _card_page(request, hub, public_id, mode="connect")


@require_http_methods(["GET", "POST"])
@patient_view
def replace_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    return _card_page(request, hub, public_id, mode="replace")
