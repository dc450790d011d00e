"""Staff patient pages: the list and search box, add member, the profile, its details and tags.

Views read the request, fetch through practice-scoped helpers (another
practice's profile or tag is a 404) and call actions; the rules live in
patients.actions and cards.actions. No patient data goes into a URL: the
search box posts, profiles are addressed by their opaque public id.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from rewardshub.audit.queries import recent_activity
from rewardshub.cards.forms import forget_card_input
from rewardshub.errors import ActionError
from rewardshub.patients import pms_hooks, queries
from rewardshub.patients.actions import (
    add_member,
    add_tag,
    edit_profile,
    record_profile_view,
    remove_tag,
)
from rewardshub.patients.activity import describe
from rewardshub.patients.forms import AddMemberForm, ProfileForm, SearchForm, TagChangeForm
from rewardshub.patients.models import Profile, TagGroupKind
from rewardshub.practices.context import HubContext
from rewardshub.web import back_to_profile, patient_view

PAGE_SIZE = 25


def _tag_filter(request: HttpRequest, hub: HubContext) -> Any:
    value = request.GET.get("tag", "")
    if not value:
        return None
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        raise Http404 from None
    return queries.get_tag(hub.practice, public_id)


def _list_context(hub: HubContext, **extra: Any) -> dict[str, Any]:
    return {"nav": "patients", "all_tags": queries.practice_tags(hub.practice), **extra}


@require_GET
@patient_view
def list_view(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    tag = _tag_filter(request, hub)
    found = queries.profiles(hub.practice)
    if tag is not None:
        found = queries.with_tag(found, tag)
    page = Paginator(queries.with_list_data(found), PAGE_SIZE).get_page(request.GET.get("page"))
    context = _list_context(
        hub, page=page, rows=page.object_list, tag=tag, form=SearchForm(), searched=False
    )
    return render(request, "patients/list.html", context)


@require_http_methods(["GET", "POST"])
@patient_view
def search_view(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    """The "Search patients" box. It posts, so a card number or swipe never lands in a URL."""
    if request.method == "GET":
        return redirect("patients:list")
    form = SearchForm(request.POST)
    if not form.is_valid():
        # Too long, or a character no name has: say so rather than show the list.
        messages.error(request, " ".join(str(error) for error in form.errors.get("q", [])))
        return redirect("patients:list")
    text = form.cleaned_data["q"].strip()
    if not text:
        return redirect("patients:list")
    outcome = queries.search(hub.practice, text)
    if outcome.profile is not None:
        if outcome.note:
            messages.info(request, outcome.note)
        return redirect("patients:detail", public_id=outcome.profile.public_id)
    rows: list[Profile] = []
    total = 0
    if outcome.names is not None:
        matches = queries.with_list_data(outcome.names)
        total = matches.count()
        rows = list(matches[: queries.NAME_RESULTS_LIMIT])
        form = SearchForm(initial={"q": text})
    else:
        # A number or swipe is not shown back in the box: retry with a new swipe.
        form = SearchForm()
    context = _list_context(
        hub,
        form=form,
        searched=True,
        outcome=outcome,
        rows=rows,
        total=total,
        limit=queries.NAME_RESULTS_LIMIT,
        search_text=text if outcome.names is not None else "",
        unconnected_number=outcome.number if outcome.unconnected else "",
    )
    return render(request, "patients/list.html", context)


@require_http_methods(["GET", "POST"])
@patient_view
def add_view(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    practice = hub.practice
    status = 200
    if request.method == "POST" and request.POST.get("prefill"):
        # "Add member" offered by the search box for a card nobody has yet.
        number = request.POST.get("card_number", "")[:16]
        form = AddMemberForm(
            practice, initial={"card_number": number, "confirm_card_number": number}
        )
    elif request.method == "POST":
        form = AddMemberForm(practice, request.POST)
        if form.is_valid():
            try:
                profile = add_member(
                    practice=practice,
                    data=form.demographics(),
                    actor=hub.actor,
                    card_raw=form.cleaned_data["card"],
                    status_tag=form.cleaned_data["status_tag"],
                )
            except ActionError as exc:
                card_error = exc.code.startswith("card_") or exc.code == "username_taken"
                form.add_error("card_number" if card_error else None, exc.message)
                status = exc.status
            else:
                card = form.cleaned_data["card"]
                messages.success(
                    request,
                    f"{profile.full_name} was added"
                    + (f" with card …{card[-4:]}." if card else " without a card."),
                )
                return redirect("patients:detail", public_id=profile.public_id)
        else:
            status = 422
        if form.has_error("card_number") or form.has_error("confirm_card_number"):
            forget_card_input(form)
    else:
        form = AddMemberForm(practice)
    return render(request, "patients/add.html", {"nav": "add", "form": form}, status=status)


def _events(profile: Profile) -> list[dict[str, Any]]:
    events = recent_activity(practice_id=profile.practice_id, profile_id=profile.pk)
    return [{"event": event, "words": describe(event)} for event in events]


@require_GET
@patient_view
def detail_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = queries.get_profile_for_page(hub.practice, public_id)
    if profile.merged_into_id is not None:
        survivor = queries.survivor_of(profile)
        messages.info(
            request,
            f"The profile with username {profile.username} was merged into this one.",
        )
        return redirect("patients:detail", public_id=survivor.public_id)
    record_profile_view(practice=hub.practice, profile=profile, actor=hub.actor)
    context = {
        "nav": "patients",
        **queries.profile_parts(profile),
        "activity": _events(profile),
        "pms_links": pms_hooks.hooks.chart_links(profile),
        # Read under the profile.view event above, as the rest of the page.
        "appointments": pms_hooks.hooks.appointments(profile),
    }
    return render(request, "patients/detail.html", context)


@require_http_methods(["GET", "POST"])
@patient_view
def edit_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = queries.get_profile(hub.practice, public_id)
    status = 200
    if request.method == "POST":
        form = ProfileForm(hub.practice, request.POST, current_location=profile.location)
        if form.is_valid():
            changed = edit_profile(
                practice=hub.practice, profile=profile, data=form.demographics(), actor=hub.actor
            )
            if changed:
                names = ", ".join(str(form.fields[name].label).lower() for name in changed)
                messages.success(request, f"Saved: {names}.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("patients:detail", public_id=profile.public_id)
        status = 422
    else:
        record_profile_view(practice=hub.practice, profile=profile, actor=hub.actor, page="edit")
        initial = {name: getattr(profile, name) for name in ProfileForm.base_fields}
        initial["location"] = profile.location.public_id if profile.location else None
        form = ProfileForm(hub.practice, initial=initial, current_location=profile.location)
    systems, overwritten = pms_hooks.hooks.overwrites(profile)
    pms = " and ".join(systems)
    for name in overwritten:
        if name in form.fields:
            field = form.fields[name]
            note = f"{pms} overwrites this at its next update."
            field.help_text = f"{field.help_text} {note}" if field.help_text else note
    overwritten_labels = [
        str(form.fields[name].label).lower() for name in overwritten if name in form.fields
    ]
    context = {
        "nav": "patients",
        "profile": profile,
        "form": form,
        "pms_systems": pms,
        "pms_overwritten": overwritten_labels,
    }
    return render(request, "patients/edit.html", context, status=status)


def _change_tags(request: HttpRequest, hub: HubContext, profile: Profile) -> None:
    form = TagChangeForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(error) for error in form.non_field_errors())
        messages.error(request, errors or "Choose a tag.")
        return
    practice, op = hub.practice, form.cleaned_data["op"]
    if op == "set":
        group = queries.get_tag_group(practice, form.cleaned_data["group"])
        if not group.exclusive:
            raise Http404
        tag_id = form.cleaned_data["tag"]
        if tag_id is None:
            current = [tag for tag in profile.tags.all() if tag.group_id == group.pk]
            for tag in current:
                remove_tag(practice=practice, profile=profile, tag=tag, actor=hub.actor)
            messages.success(request, f"{group.name} tag removed.")
            return
        tag = queries.get_tag(practice, tag_id)
        if tag.group_id != group.pk:
            raise Http404
        add_tag(practice=practice, profile=profile, tag=tag, actor=hub.actor)
        messages.success(request, f"{group.name} set to {tag.name}.")
    elif op == "add":
        tag = queries.get_tag(practice, form.cleaned_data["tag"])
        add_tag(practice=practice, profile=profile, tag=tag, actor=hub.actor)
        messages.success(request, f"Tag {tag.name} added.")
    else:
        tag = queries.get_tag(practice, form.cleaned_data["tag"])
        remove_tag(practice=practice, profile=profile, tag=tag, actor=hub.actor)
        messages.success(request, f"Tag {tag.name} removed.")


@require_http_methods(["GET", "POST"])
@patient_view
def tags_view(request: HttpRequest, public_id: uuid.UUID, *, hub: HubContext) -> HttpResponse:
    profile = queries.get_profile(hub.practice, public_id)
    if request.method == "POST":
        _change_tags(request, hub, profile)
        return back_to_profile(request, profile)
    record_profile_view(practice=hub.practice, profile=profile, actor=hub.actor, page="tags")
    context = {"nav": "patients", **queries.profile_parts(profile)}
    return render(request, "patients/tags.html", context)


@require_GET
@patient_view
def missing_tags_view(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    found = queries.with_list_data(queries.missing_tags(hub.practice))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    groups = {group.kind: group.name for group in queries.exclusive_groups(hub.practice)}
    rows = []
    for profile in page.object_list:
        missing = []
        if not profile.has_status:
            missing.append(groups.get(TagGroupKind.STATUS, "Status"))
        if not profile.has_location:
            missing.append(groups.get(TagGroupKind.LOCATION, "Location"))
        rows.append({"profile": profile, "missing": missing})
    context = {"nav": "missing", "page": page, "rows": rows}
    return render(request, "patients/missing_tags.html", context)
