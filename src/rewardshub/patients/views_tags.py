"""Settings > Tag groups: custom groups, tags in any group, renames and deletes.

Deleting a tag (or group) that patients carry goes through a confirmation
page that says how many patients lose it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rewardshub.errors import ActionError
from rewardshub.patients import tag_actions
from rewardshub.patients.models import Tag, TagGroup
from rewardshub.patients.queries import get_tag, get_tag_group
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.forms import NameForm
from rewardshub.practices.models import SETTINGS_ROLES


def _tags_page(
    request: HttpRequest, hub: HubContext, *, group_form: NameForm | None = None,
    error: str | None = None, status: int = 200,
) -> HttpResponse:
    tags = Tag.objects.annotate(patients=Count("profile_tags")).order_by("position", "name")
    groups = TagGroup.objects.filter(practice=hub.practice).prefetch_related(
        Prefetch("tags", queryset=tags)
    )
    context = {
        "nav": "settings",
        "section": "tags",
        "groups": groups,
        "group_form": group_form or NameForm(what="group"),
        "error": error,
    }
    return render(request, "practices/settings_tags.html", context, status=status)


def _name_or_error(request: HttpRequest, what: str) -> tuple[str | None, str | None]:
    form = NameForm(request.POST, what=what)
    if form.is_valid():
        return form.cleaned_data["name"], None
    return None, str(next(iter(form.errors.values()))[0])


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def settings_tags(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _tags_page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def group_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = NameForm(request.POST, what="group")
    if not form.is_valid():
        return _tags_page(request, hub, group_form=form, status=422)
    name = form.cleaned_data["name"]
    try:
        tag_actions.create_tag_group(practice=hub.practice, name=name, actor=hub.actor)
    except ActionError as exc:
        return _tags_page(request, hub, group_form=form, error=exc.message, status=exc.status)
    messages.success(request, f"Tag group “{name}” added. Add its tags below.")
    return redirect("settings_tags")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def group_rename(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    group = get_tag_group(hub.practice, public_id)
    name, error = _name_or_error(request, "group")
    if name is None:
        return _tags_page(request, hub, error=error, status=422)
    try:
        tag_actions.rename_tag_group(practice=hub.practice, group=group, name=name, actor=hub.actor)
    except ActionError as exc:
        return _tags_page(request, hub, error=exc.message, status=exc.status)
    if name != group.name:
        messages.success(request, f"Tag group “{group.name}” is now “{name}”.")
    return redirect("settings_tags")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def tag_add(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    group = get_tag_group(hub.practice, public_id)
    name, error = _name_or_error(request, "tag")
    if name is None:
        return _tags_page(request, hub, error=error, status=422)
    try:
        tag_actions.create_tag(practice=hub.practice, group=group, name=name, actor=hub.actor)
    except ActionError as exc:
        return _tags_page(request, hub, error=exc.message, status=exc.status)
    messages.success(request, f"Tag “{name}” added to {group.name}.")
    return redirect("settings_tags")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def tag_rename(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    tag = get_tag(hub.practice, public_id)
    name, error = _name_or_error(request, "tag")
    if name is None:
        return _tags_page(request, hub, error=error, status=422)
    try:
        tag_actions.rename_tag(practice=hub.practice, tag=tag, name=name, actor=hub.actor)
    except ActionError as exc:
        return _tags_page(request, hub, error=exc.message, status=exc.status)
    if name != tag.name:
        messages.success(request, f"Tag “{tag.name}” is now “{name}”.")
    return redirect("settings_tags")


def _confirm_page(
    request: HttpRequest, *, kind: str, name: str, count: int, error: str | None, status: int
) -> HttpResponse:
    context = {
        "nav": "settings",
        "section": "tags",
        "kind": kind,
        "name": name,
        "count": count,
        "error": error,
    }
    return render(request, "practices/settings_tag_delete.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def tag_delete(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    """GET asks to confirm; POST deletes (with confirm=yes when patients carry the tag)."""
    return _delete(request, hub, TAG_DELETION, get_tag(hub.practice, public_id))


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def group_delete(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    return _delete(request, hub, GROUP_DELETION, get_tag_group(hub.practice, public_id))


@dataclass(frozen=True)
class _Deletion:
    """How a tag or a tag group is deleted from Settings > Tags."""

    kind: str
    url_name: str  # its confirmation page
    count: Callable[[Any], int]  # patients who carry it
    refusal: Callable[[Any], ActionError | None]  # why it may not be deleted (a system one)
    delete: Callable[..., int]  # -> how many patients it was removed from
    done: Callable[[Any, str], str]  # the message, given it and the patients phrase ("" if none)


TAG_DELETION = _Deletion(
    kind="tag",
    url_name="settings_tag_delete",
    count=tag_actions.tag_use_count,
    refusal=lambda tag: tag_actions.system_tag_error(tag) if tag.is_system else None,
    delete=lambda hub, tag, confirmed: tag_actions.delete_tag(
        practice=hub.practice, tag=tag, actor=hub.actor, confirmed=confirmed
    ),
    done=lambda tag, who: f"Tag “{tag.name}” deleted" + (f" and removed from {who}" if who else ""),
)
GROUP_DELETION = _Deletion(
    kind="group",
    url_name="settings_group_delete",
    count=tag_actions.group_use_count,
    refusal=lambda group: tag_actions.system_group_error(group) if group.is_system else None,
    delete=lambda hub, group, confirmed: tag_actions.delete_tag_group(
        practice=hub.practice, group=group, actor=hub.actor, confirmed=confirmed
    ),
    done=lambda group, who: f"Tag group “{group.name}” deleted"
    + (f"; its tags were removed from {who}" if who else ""),
)


def _delete(
    request: HttpRequest, hub: HubContext, deletion: _Deletion, target: Tag | TagGroup
) -> HttpResponse:
    """GET asks to confirm; POST deletes, asking again when patients carry it."""
    if request.method != "POST":
        refusal = deletion.refusal(target)
        error = refusal.message if refusal else None
        return _confirm_page(
            request, kind=deletion.kind, name=target.name, count=deletion.count(target),
            error=error, status=409 if error else 200,
        )
    try:
        removed = deletion.delete(hub, target, request.POST.get("confirm") == "yes")
    except ActionError as exc:
        if exc.code == "confirm_needed":
            messages.warning(request, exc.message)
            return redirect(deletion.url_name, public_id=target.public_id)
        return _tags_page(request, hub, error=exc.message, status=exc.status)
    who = tag_actions.patients_phrase(removed) if removed else ""
    messages.success(request, deletion.done(target, who) + ".")
    return redirect("settings_tags")
