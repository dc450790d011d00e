"""Integration settings pages for owners and admins: keys, tag mapping, chart tab, Sync log."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rewardshub.errors import ActionError
from rewardshub.integrations import actions, queries
from rewardshub.integrations.forms import (
    FrameAncestorsForm,
    KeyForm,
    KeyIdentifierSystemForm,
    SyncLogFilterForm,
    SyncWatchForm,
    TagRuleForm,
)
from rewardshub.integrations.pending import open_confirmations
from rewardshub.integrations.systems import system_name
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import SETTINGS_ROLES

# The new key's token between the POST that made it and the page that shows it
# once; popped on display.
SESSION_NEW_KEY = "new_integration_key"
SYNC_LOG_PAGE = 50


def _page(
    request: HttpRequest, template: str, section: str, context: dict, status: int = 200
) -> HttpResponse:
    return render(
        request, template, {"nav": "settings", "section": section, **context}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def keys(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = actions.create_key(
            practice=hub.practice,
            name=form.cleaned_data["name"],
            system=form.cleaned_data["system"],
            fhir_identifier_system=form.cleaned_data["fhir_identifier_system"],
            actor=hub.actor,
        )
        request.session[SESSION_NEW_KEY] = {
            "id": str(created.key.public_id),
            "token": created.token,
        }
        return redirect("integrations:keys")
    return _keys_page(request, hub, form=form, status=422 if form.errors else 200)


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def sync_watch(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = SyncWatchForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, hub, watch_form=form, status=422)
    data = form.cleaned_data
    changed = actions.save_sync_watch(
        practice=hub.practice,
        silence_minutes=data["silence_minutes"],
        opens_at=data["opens_at"],
        closes_at=data["closes_at"],
        weekdays=data["weekdays"],
        actor=hub.actor,
    )
    messages.success(request, "Sync health settings saved." if changed else "Nothing changed.")
    return redirect("integrations:keys")


def _keys_page(
    request: HttpRequest,
    hub: HubContext,
    *,
    form: KeyForm | None = None,
    watch_form: SyncWatchForm | None = None,
    edited: tuple[str, KeyIdentifierSystemForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The keys page; `edited` is a key's refused identifier-system form, shown on its row."""
    new_key = request.session.pop(SESSION_NEW_KEY, None)
    rows = list(queries.keys(hub.practice))
    for key in rows:
        key.system_label = system_name(key.system)  # type: ignore[attr-defined]
        key.identifier_form = (  # type: ignore[attr-defined]
            edited[1]
            if edited is not None and edited[0] == str(key.public_id)
            else KeyIdentifierSystemForm(
                initial={"fhir_identifier_system": key.fhir_identifier_system},
                auto_id=f"id_%s_{key.public_id}",
            )
        )
    if watch_form is None:
        watch_form = SyncWatchForm(initial=queries.sync_watch_initial(hub.practice))
    return _page(
        request,
        "integrations/keys.html",
        "keys",
        {
            "form": form or KeyForm(),
            "keys": rows,
            "new_key": new_key,
            "watch_form": watch_form,
        },
        status=status,
    )


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def key_identifier_system(request: HttpRequest, public_id: str, *, hub: HubContext) -> HttpResponse:
    key = queries.get_key(hub.practice, public_id)
    form = KeyIdentifierSystemForm(request.POST, auto_id=f"id_%s_{key.public_id}")
    if not form.is_valid():
        return _keys_page(request, hub, edited=(str(key.public_id), form), status=422)
    value = form.cleaned_data["fhir_identifier_system"]
    actions.set_fhir_identifier_system(
        practice=hub.practice, key=key, identifier_system=value, actor=hub.actor
    )
    messages.success(
        request, f"FHIR Bundles sent with the key “{key.name}” now take the chart id from {value}."
    )
    return redirect("integrations:keys")


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def revoke_key(request: HttpRequest, public_id: str, *, hub: HubContext) -> HttpResponse:
    key = queries.get_key(hub.practice, public_id)
    actions.revoke_key(practice=hub.practice, key=key, actor=hub.actor)
    messages.success(
        request, f"The key “{key.name}” was revoked. A PMS bridge still using it now gets an error."
    )
    return redirect("integrations:keys")


@require_http_methods(["GET", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def tag_rules(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    form = TagRuleForm(request.POST or None, tags=queries.mappable_tags(hub.practice))
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_tag_rule(
                practice=hub.practice,
                system=data["system"],
                field=data["field"],
                value=data["value"],
                tag=data["tag"],
                actor=hub.actor,
            )
        except ActionError as exc:
            error = exc.message
        else:
            messages.success(
                request, f"Synced patients with “{data['value']}” now get {data['tag'].name}."
            )
            return redirect("integrations:tag_rules")
    rules = list(queries.tag_rules(hub.practice))
    for rule in rules:
        rule.system_label = system_name(rule.system)  # type: ignore[attr-defined]
    status = 422 if form.errors or error else 200
    return _page(
        request,
        "integrations/tag_rules.html",
        "rules",
        {"form": form, "rules": rules, "error": error},
        status=status,
    )


@require_POST
@staff_view(roles=SETTINGS_ROLES)
def delete_tag_rule(request: HttpRequest, public_id: str, *, hub: HubContext) -> HttpResponse:
    rule = queries.get_tag_rule(hub.practice, public_id)
    actions.delete_tag_rule(practice=hub.practice, rule=rule, actor=hub.actor)
    messages.success(request, f"The mapping of “{rule.value}” was deleted.")
    return redirect("integrations:tag_rules")


@require_http_methods(["GET", "POST"])
@staff_view(roles=SETTINGS_ROLES)
def chart_tab(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    initial = {"origins": "\n".join(hub.practice.frame_ancestors.split())}
    form = FrameAncestorsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.set_frame_ancestors(
            practice=hub.practice, origins=form.cleaned_data["origins"], actor=hub.actor
        )
        messages.success(request, "Saved. The change applies the next time the chart tab opens.")
        return redirect("integrations:settings")
    return _page(
        request,
        "integrations/chart_tab.html",
        "embed",
        {"form": form},
        status=422 if form.errors else 200,
    )


@require_GET
@staff_view(roles=SETTINGS_ROLES)
def sync_log(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    filters = SyncLogFilterForm(request.GET)
    if not filters.is_valid():
        # Say what is wrong; show no rows rather than rows the filter did not ask for.
        return _page(
            request,
            "integrations/sync_log.html",
            "synclog",
            {"filters": filters, "page": None, "attention": []},
            status=422,
        )
    events = queries.filtered_sync_events(
        hub.practice,
        failures=filters.cleaned_data["failures"],
        action=filters.cleaned_data["action"],
    )
    page = Paginator(events, SYNC_LOG_PAGE).get_page(request.GET.get("page"))
    attention = queries.needs_attention(hub.practice) if page.number == 1 else []
    waiting = open_confirmations(hub.practice) if page.number == 1 else []
    filtered = bool(filters.cleaned_data["failures"] or filters.cleaned_data["action"])
    return _page(
        request,
        "integrations/sync_log.html",
        "synclog",
        {
            "page": page,
            "attention": attention,
            "waiting": waiting,
            "filters": filters,
            "filter_query": filters.query(),
            "filtered": filtered,
        },
    )
