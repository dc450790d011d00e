"""The Contests pages: the list (and a new contest), one contest with its
participants, entering patients (by name or everyone with a tag) and picking winners.

Staff who work with patients enter participants and pick winners; owners,
admins and rewards + marketing staff create and change contests.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from rewardshub.contests import actions, queries
from rewardshub.contests.forms import ContestForm
from rewardshub.contests.models import Contest, ContestAward
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import get_tag, profiles, search_by_name
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import PATIENT_ROLES, Role
from rewardshub.wording import count_of

CONTEST_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MARKETING})
SEARCH_MATCHES = 30


def _first_error(form: ContestForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Check the form and try again."


def _list_page(
    request: HttpRequest, hub: HubContext, form: ContestForm | None = None, status: int = 200
) -> HttpResponse:
    today = queries.today_in(hub.practice)
    rows = [(c, queries.status(c, today)) for c in queries.contests(hub.practice)]
    context = {
        "nav": "contests",
        "rows": rows,
        "form": form or ContestForm(initial={"starts_on": today, "ends_on": today}),
        "can_manage": hub.role in CONTEST_ROLES,
    }
    return render(request, "contests/list.html", context, status=status)


@require_GET
@staff_view(roles=PATIENT_ROLES)
def contest_list(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _list_page(request, hub)


@require_POST
@staff_view(roles=CONTEST_ROLES)
def contest_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = ContestForm(request.POST)
    if not form.is_valid():
        return _list_page(request, hub, form, status=422)
    try:
        contest = actions.create_contest(
            practice=hub.practice, data=form.cleaned_data, actor=hub.actor
        )
    except ActionError as exc:
        form.add_error(None, exc.message)
        return _list_page(request, hub, form, status=exc.status)
    messages.success(request, f"Contest “{contest.name}” created. Now enter the participants.")
    return redirect("contests:detail", public_id=contest.public_id)


def _detail_page(
    request: HttpRequest,
    hub: HubContext,
    contest: Contest,
    form: ContestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:100]
    matches = None
    if text:
        entered = contest.entries.values("profile_id")
        digits = "".join(ch for ch in text if ch.isdigit())
        found = (
            profiles(hub.practice).filter(username=digits)
            if len(digits) == 16 and not any(ch.isalpha() for ch in text)
            else search_by_name(hub.practice, text)
        )
        matches = list(
            found.exclude(pk__in=entered).order_by("last_name", "first_name")[:SEARCH_MATCHES]
        )
    context = {
        "nav": "contests",
        "contest": contest,
        "status": queries.status(contest, queries.today_in(hub.practice)),
        "participants": queries.participants(contest),
        "q": text,
        "matches": matches,
        "tags": queries.tags_with_counts(hub.practice),
        "form": form or ContestForm(initial=ContestForm.initial_for(contest)),
        "can_manage": hub.role in CONTEST_ROLES,
    }
    return render(request, "contests/detail.html", context, status=status)


@require_GET
@staff_view(roles=PATIENT_ROLES)
def contest_detail(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    return _detail_page(request, hub, queries.get_contest(hub.practice, public_id))


@require_POST
@staff_view(roles=CONTEST_ROLES)
def contest_edit(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    contest = queries.get_contest(hub.practice, public_id)
    form = ContestForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, hub, contest, form, status=422)
    try:
        changed = actions.update_contest(
            practice=hub.practice, contest=contest, data=form.cleaned_data, actor=hub.actor
        )
    except ActionError as exc:
        form.add_error(None, exc.message)
        return _detail_page(request, hub, contest, form, status=exc.status)
    messages.success(request, "Contest saved." if changed else "Nothing changed.")
    return redirect("contests:detail", public_id=contest.public_id)


def _chosen(request: HttpRequest, hub: HubContext) -> list[Profile]:
    """The ticked patients, or everyone with the chosen tag; another practice's is a 404."""
    tag_id = request.POST.get("tag")
    if tag_id:
        try:
            tag = get_tag(hub.practice, uuid.UUID(tag_id))
        except ValueError:
            raise Http404 from None
        return list(queries.tagged(hub.practice, tag))
    try:
        wanted = {uuid.UUID(value) for value in request.POST.getlist("profiles")}
    except ValueError:
        raise Http404 from None
    found = list(profiles(hub.practice).filter(public_id__in=wanted))
    if len(found) != len(wanted):
        raise Http404
    return found


@require_POST
@staff_view(roles=PATIENT_ROLES)
def contest_enter(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    contest = queries.get_contest(hub.practice, public_id)
    chosen = _chosen(request, hub)
    if not chosen:
        messages.error(
            request,
            "No one has that tag yet: nobody was entered."
            if request.POST.get("tag")
            else "Tick at least one patient to enter.",
        )
        return redirect("contests:detail", public_id=contest.public_id)
    try:
        result = actions.enter_participants(
            practice=hub.practice, contest=contest, profiles=chosen, actor=hub.actor
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("contests:detail", public_id=contest.public_id)
    parts = [f"Entered {count_of(len(result.entered), 'patient')} in “{contest.name}”."]
    if result.already:
        parts.append(f"{count_of(result.already, 'patient')} already taking part, left as is.")
    if result.held:
        parts.append(
            f"Points for taking part wait in Pending rewards for "
            f"{count_of(result.held, 'patient')}."
        )
    messages.success(request, " ".join(parts))
    return redirect("contests:detail", public_id=contest.public_id)


@require_POST
@staff_view(roles=PATIENT_ROLES)
def contest_winner(
    request: HttpRequest, public_id: uuid.UUID, entry_id: uuid.UUID, *, hub: HubContext
) -> HttpResponse:
    contest = queries.get_contest(hub.practice, public_id)
    entry = queries.get_entry(contest, entry_id)
    try:
        award = actions.pick_winner(
            practice=hub.practice, contest=contest, entry=entry, actor=hub.actor
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("contests:detail", public_id=contest.public_id)
    messages.success(request, _winner_message(entry.profile, contest, award))
    return redirect("contests:detail", public_id=contest.public_id)


def _winner_message(profile: Profile, contest: Contest, award: ContestAward | None) -> str:
    said = f"{profile.full_name} won “{contest.name}”."
    if award is None:
        return said
    points = count_of(award.points, "point")
    if award.pending_id is not None:
        return f"{said} {points} wait in Pending rewards."
    return f"{said} {points} paid."
