"""The Pending rewards queue (owners and admins approve or void), Settings >
Reward rules, and gifts between members from a patient's profile."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import get_profile, profiles, search_by_name
from rewardshub.points import queries
from rewardshub.points.gifts import give_gift, given_today
from rewardshub.points.reward_forms import DecideForm, GiftForm, RewardSettingsForm
from rewardshub.points.rewards import decide_pending, reward_settings, save_reward_settings
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES
from rewardshub.web import patient_view
from rewardshub.wording import count_of

PENDING_PAGE_SIZE = 50
GIFT_MATCHES = 20


def _first_error(form: DecideForm | GiftForm | RewardSettingsForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Check the form and try again."


# --- Pending rewards -----------------------------------------------------------


@require_GET
@staff_view(roles=SETTINGS_ROLES)
def pending(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    page = Paginator(queries.pending_awards(hub.practice), PENDING_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"nav": "settings", "section": "pending", "page": page, "rows": page.object_list}
    return render(request, "points/pending.html", context)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def decide(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    award_ = queries.get_pending(hub.practice, public_id)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("points:pending")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decided = decide_pending(
            practice=hub.practice,
            pending=award_,
            approve=approve,
            actor=hub.actor,
            reason=form.cleaned_data["reason"],
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("points:pending")
    name = award_.profile.full_name
    points = count_of(decided.points, "point")
    if approve:
        assert decided.entry is not None
        balance = decided.entry.profile.points_balance
        messages.success(request, f"Approved {points} for {name}. New balance: {balance:,}.")
    else:
        messages.success(request, f"Voided {points} for {name}.")
    return redirect("points:pending")


# --- Settings > Reward rules ---------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def reward_rules(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    current = reward_settings(hub.practice)
    form = RewardSettingsForm(request.POST or None, initial=RewardSettingsForm.initial_for(current))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                changed = save_reward_settings(
                    practice=hub.practice,
                    held=set(data["held"]),
                    gift_max_points=data["gift_max_points"],
                    gift_daily_max_points=data["gift_daily_max_points"],
                    actor=hub.actor,
                )
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Reward rules saved." if changed else "Nothing changed.")
                return redirect("points:reward_rules")
        status = 422
    context = {
        "nav": "settings",
        "section": "reward_rules",
        "form": form,
        "misc_waits": hub.practice.misc_requires_approval,
    }
    return render(request, "points/reward_rules.html", context, status=status)


# --- Gifts between members -----------------------------------------------------


def _receiver(hub: HubContext, giver: Profile, value: object) -> Profile | None:
    if not value:
        return None
    try:
        wanted = uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
    receiver = get_profile(hub.practice, wanted)
    return None if receiver.pk == giver.pk else receiver


def _matches(hub: HubContext, giver: Profile, text: str) -> list[Profile]:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 16 and not any(ch.isalpha() for ch in text):
        found = profiles(hub.practice).filter(username=digits)
    else:
        found = search_by_name(hub.practice, text)
    return list(found.exclude(pk=giver.pk).order_by("last_name", "first_name")[:GIFT_MATCHES])


@require_http_methods(["GET", "HEAD", "POST"])
@patient_view
def gift(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    giver = get_profile(hub.practice, public_id)
    source = request.POST if request.method == "POST" else request.GET
    receiver = _receiver(hub, giver, source.get("to"))
    text = request.GET.get("q", "").strip()[:100]
    form = GiftForm(request.POST or None, initial={"to": receiver.public_id if receiver else ""})
    error, status = "", 200
    if request.method == "POST":
        if not form.is_valid() or receiver is None:
            error = (
                _first_error(form) if form.errors else "Choose the member who receives the gift."
            )
            status = 422
        else:
            try:
                made = give_gift(
                    practice=hub.practice,
                    giver=giver,
                    receiver=receiver,
                    points=form.cleaned_data["points"],
                    note=form.cleaned_data["note"],
                    actor=hub.actor,
                )
            except ActionError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    f"Gave {count_of(made.points, 'point')} from {made.giver.first_name} to "
                    f"{made.receiver.full_name}. {made.giver.first_name}’s new balance: "
                    f"{made.giver.points_balance:,}.",
                )
                return redirect("patients:detail", public_id=giver.public_id)
    limits = reward_settings(hub.practice)
    context = {
        "nav": "patients",
        "giver": giver,
        "receiver": receiver,
        "form": form,
        "error": error,
        "q": text,
        "matches": _matches(hub, giver, text) if text and receiver is None else None,
        "limits": limits,
        "given_today": given_today(hub.practice, giver),
    }
    return render(request, "points/gift.html", context, status=status)
