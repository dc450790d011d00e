"""Settings > Reward menu (owners and admins): categories and the items staff tick.

Pages are GETs; each change POSTs to its own address, calls one action in
points.menu_actions and redirects. Wrong input renders the page again with the
message and the typed values, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rewardshub.errors import ActionError
from rewardshub.points import menu_actions
from rewardshub.points.forms import CategoryForm, ItemForm
from rewardshub.points.models import RewardCategory, RewardItem
from rewardshub.points.review_policy import REVIEW_WARNING, rewards_a_review
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES
from rewardshub.wording import count_of


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return "Check the form and try again."


def get_category(hub: HubContext, public_id: object) -> RewardCategory:
    return get_object_or_404(RewardCategory, practice=hub.practice, public_id=public_id)


def get_item(hub: HubContext, public_id: object) -> RewardItem:
    return get_object_or_404(
        RewardItem.objects.select_related("category", "auto_tag"),
        practice=hub.practice,
        public_id=public_id,
    )


def _menu_page(
    request: HttpRequest,
    hub: HubContext,
    *,
    category_form: CategoryForm | None = None,
    item_form: ItemForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    items = RewardItem.objects.select_related("auto_tag").order_by("position", "name")
    categories = list(
        RewardCategory.objects.filter(practice=hub.practice).prefetch_related(
            Prefetch("items", queryset=items)
        )
    )
    asks_for_review = {
        item.pk for category in categories for item in category.items.all()
        if rewards_a_review(item.name)
    }
    context = {
        "nav": "settings",
        "section": "menu",
        "categories": categories,
        "review_warning": REVIEW_WARNING,
        "asks_for_review": asks_for_review,
        "category_form": category_form or CategoryForm(),
        "item_form": item_form or ItemForm(hub.practice, initial={"active": True}),
        "error": error,
    }
    return render(request, "points/settings_menu.html", context, status=status)


@require_safe
@staff_view(roles=SETTINGS_ROLES)
def menu(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    return _menu_page(request, hub)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def category_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _menu_page(request, hub, category_form=form, status=422)
    try:
        menu_actions.create_category(practice=hub.practice, actor=hub.actor, **form.cleaned_data)
    except ActionError as exc:
        return _menu_page(request, hub, category_form=form, error=exc.message, status=exc.status)
    messages.success(request, f"Category “{form.cleaned_data['name']}” added.")
    return redirect("points:menu")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def category_edit(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    category = get_category(hub, public_id)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _menu_page(request, hub, error=_first_error(form), status=422)
    try:
        changed = menu_actions.update_category(
            practice=hub.practice, category=category, actor=hub.actor, **form.cleaned_data
        )
    except ActionError as exc:
        return _menu_page(request, hub, error=exc.message, status=exc.status)
    if changed:
        messages.success(request, f"Category “{form.cleaned_data['name']}” saved.")
    else:
        messages.info(request, "Nothing changed.")
    return redirect("points:menu")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def item_add(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = ItemForm(hub.practice, request.POST)
    if not form.is_valid():
        return _menu_page(request, hub, item_form=form, status=422)
    try:
        item = menu_actions.create_item(
            practice=hub.practice, data=form.cleaned_data, actor=hub.actor
        )
    except ActionError as exc:
        return _menu_page(request, hub, item_form=form, error=exc.message, status=exc.status)
    messages.success(
        request, f"“{item.name}” ({count_of(item.points, 'point')}) added to the menu."
    )
    _warn_of_review(request, item.name)
    return redirect("points:menu")


def _warn_of_review(request: HttpRequest, name: str) -> None:
    if rewards_a_review(name):
        messages.warning(request, f"“{name}”: {REVIEW_WARNING}")


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def item_edit(request: HttpRequest, public_id: object, *, hub: HubContext) -> HttpResponse:
    item = get_item(hub, public_id)
    error, status = None, 200
    if request.method == "POST":
        form = ItemForm(hub.practice, request.POST)
        if form.is_valid():
            try:
                changed = menu_actions.update_item(
                    practice=hub.practice, item=item, data=form.cleaned_data, actor=hub.actor
                )
            except ActionError as exc:
                error, status = exc.message, exc.status
            else:
                if changed:
                    messages.success(request, f"“{form.cleaned_data['name']}” saved.")
                else:
                    messages.info(request, "Nothing changed.")
                _warn_of_review(request, form.cleaned_data["name"])
                return redirect("points:menu")
        else:
            status = 422
    else:
        form = ItemForm(hub.practice, initial=ItemForm.initial_for(item))
    context = {
        "nav": "settings",
        "section": "menu",
        "item": item,
        "form": form,
        "error": error,
        "review_warning": REVIEW_WARNING if rewards_a_review(item.name) else "",
    }
    return render(request, "points/settings_menu_item.html", context, status=status)
