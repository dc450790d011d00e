"""Settings pages for owners and admins: practice info, locations, staff and roles.

Each page is a GET; each change is a POST to its own address that calls one
action and redirects. When the input is wrong the page is rendered again
with the message and the typed values, and nothing is changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rewardshub.errors import ActionError
from rewardshub.practices import actions
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.forms import NameForm, PracticeInfoForm, RoleForm, StaffAddForm
from rewardshub.practices.models import SETTINGS_ROLES, Location, Membership, Role


def _page(
    request: HttpRequest, template: str, section: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"practices/{template}",
        {"nav": "settings", "section": section, **context},
        status=status,
    )


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Check the form and try again."


# --- Practice info --------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def practice_settings(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    practice = hub.practice
    initial = {
        "name": practice.name,
        "time_zone": practice.time_zone,
        "idle_timeout_minutes": practice.idle_timeout_minutes,
        "misc_requires_approval": practice.misc_requires_approval,
    }
    form = PracticeInfoForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            changed = actions.update_practice_info(
                practice=practice, actor=hub.actor, **form.cleaned_data
            )
            messages.success(
                request, "Practice settings saved." if changed else "Nothing changed."
            )
            return redirect("practice_settings")
        return _page(request, "settings_info.html", "info", {"form": form}, status=422)
    return _page(request, "settings_info.html", "info", {"form": form})


# --- Locations ------------------------------------------------------------


def _locations_page(
    request: HttpRequest, hub: HubContext, *, add_form: NameForm | None = None,
    error: str | None = None, status: int = 200,
) -> HttpResponse:
    context = {
        "locations": Location.objects.filter(practice=hub.practice).order_by("-active", "name"),
        "add_form": add_form or NameForm(what="location"),
        "error": error,
    }
    return _page(request, "settings_locations.html", "locations", context, status=status)


def _get_location(hub: HubContext, public_id: object) -> Location:
    return get_object_or_404(Location, practice=hub.practice, public_id=public_id)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def settings_locations(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _locations_page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def location_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = NameForm(request.POST, what="location")
    if not form.is_valid():
        return _locations_page(request, hub, add_form=form, status=422)
    name = form.cleaned_data["name"]
    try:
        actions.add_location(practice=hub.practice, name=name, actor=hub.actor)
    except ActionError as exc:
        return _locations_page(request, hub, add_form=form, error=exc.message, status=exc.status)
    messages.success(request, f"Location “{name}” added, with its tag “*{name}”.")
    return redirect("settings_locations")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def location_rename(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    location = _get_location(hub, public_id)
    form = NameForm(request.POST, what="location")
    if not form.is_valid():
        return _locations_page(request, hub, error=_first_error(form), status=422)
    old, name = location.name, form.cleaned_data["name"]
    try:
        actions.rename_location(
            practice=hub.practice, location=location, name=name, actor=hub.actor
        )
    except ActionError as exc:
        return _locations_page(request, hub, error=exc.message, status=exc.status)
    if old != name:
        messages.success(request, f"“{old}” is now “{name}”; its tag is now “*{name}”.")
    return redirect("settings_locations")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def location_active(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    location = _get_location(hub, public_id)
    active = request.POST.get("active") == "1"
    try:
        actions.set_location_active(
            practice=hub.practice, location=location, active=active, actor=hub.actor
        )
    except ActionError as exc:
        return _locations_page(request, hub, error=exc.message, status=exc.status)
    state = "active again" if active else "deactivated; patients keep its tag"
    messages.success(request, f"{location.name} is {state}.")
    return redirect("settings_locations")


# --- Staff and roles ------------------------------------------------------


def _staff_page(
    request: HttpRequest, hub: HubContext, *, add_form: StaffAddForm | None = None,
    error: str | None = None, status: int = 200,
) -> HttpResponse:
    members = Membership.objects.filter(practice=hub.practice).select_related("user")
    context = {
        "members": members.order_by("user__username"),
        "roles": Role.choices,
        "add_form": add_form or StaffAddForm(initial={"role": Role.REWARDS}),
        "error": error,
    }
    return _page(request, "settings_staff.html", "staff", context, status=status)


def _get_membership(hub: HubContext, public_id: object) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"), practice=hub.practice, public_id=public_id
    )


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def settings_staff(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _staff_page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def staff_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = StaffAddForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, hub, add_form=form, status=422)
    data = form.cleaned_data
    try:
        actions.create_staff_member(practice=hub.practice, actor=hub.actor, **data)
    except ActionError as exc:
        return _staff_page(request, hub, add_form=form, error=exc.message, status=exc.status)
    role = Role(data["role"]).label
    messages.success(request, f"{data['username']} can now sign in, with the role {role}.")
    return redirect("settings_staff")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def staff_role(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    membership = _get_membership(hub, public_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _staff_page(request, hub, error=_first_error(form), status=422)
    role = form.cleaned_data["role"]
    try:
        actions.change_staff_role(
            practice=hub.practice, membership=membership, role=role, actor=hub.actor
        )
    except ActionError as exc:
        return _staff_page(request, hub, error=exc.message, status=exc.status)
    if role != membership.role:
        messages.success(
            request, f"{membership.user.get_username()} now has the role {Role(role).label}."
        )
    return redirect("settings_staff")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def staff_remove(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    membership = _get_membership(hub, public_id)
    try:
        actions.remove_staff(practice=hub.practice, membership=membership, actor=hub.actor)
    except ActionError as exc:
        return _staff_page(request, hub, error=exc.message, status=exc.status)
    messages.success(
        request, f"{membership.user.get_username()} no longer works at {hub.practice.name}."
    )
    return redirect("settings_staff")
