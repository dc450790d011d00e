"""The link confirmation window: a set card named an existing hub patient whose
name or birth date differ from the chart's, and staff decide here.

Opened from the one-time browser_url set card answered (a launch link, which
starts a launched session) or from the Sync log by staff signed in to the
practice. Another practice's confirmation is a 404. The page shows patient
data side by side; its address holds only the confirmation's opaque id.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rewardshub.errors import ActionError
from rewardshub.integrations import actions
from rewardshub.integrations import changes as change_words
from rewardshub.integrations.identity import FIELD_LABELS, in_words
from rewardshub.integrations.lead_hooks import hooks as lead_hooks
from rewardshub.integrations.models import LinkState, PendingLink
from rewardshub.integrations.pending import get_confirmation, is_expired
from rewardshub.integrations.systems import system_name
from rewardshub.integrations.tagging import load_mapping
from rewardshub.practices.context import HubContext, staff_view

# The outcome of the last POST, for the page it redirects to (changes are patient data:
# kept in the session, never in the address).
SESSION_DECIDED = "link_confirmation"
_SHOWN = (
    "first_name",
    "preferred_name",
    "last_name",
    "birth_date",
    "email",
    "phone_mobile",
    "phone_home",
    "responsible_party",
)


def _rows(pending: PendingLink) -> list[dict[str, Any]]:
    hub = change_words.snapshot(pending.profile)
    chart = pending.data
    differing = set(pending.differences)
    identity = ("first_name", "last_name", "birth_date")
    return [
        {
            "label": change_words.LABELS[name],
            "hub": hub.get(name, ""),
            "chart": str(chart.get(name, "") or ""),
            "differs": name in differing,
            "identity": name in identity,
        }
        for name in _SHOWN
    ]


def _context(request: HttpRequest, pending: PendingLink) -> dict[str, Any]:
    decided = request.session.get(SESSION_DECIDED)
    shown: dict[str, Any] = {}
    if isinstance(decided, dict) and decided.get("id") == str(pending.public_id):
        shown = decided
    expired = is_expired(pending)
    context: dict[str, Any] = {
        "pending": pending,
        "system": system_name(pending.system),
        "expired": expired,
        "open": pending.state == LinkState.PENDING and not expired,
        "differences": in_words(list(pending.differences)),
        "difference_labels": [FIELD_LABELS.get(name, name) for name in pending.differences],
        "changes": shown.get("changes", []),
        "error": shown.get("error", ""),
        # A lead the linked patient may be, to confirm in this same window.
        "leads": lead_hooks.panel(pending.practice, pending.profile)
        if pending.state == LinkState.CONFIRMED
        else None,
    }
    if context["open"]:
        data = dict(pending.data)
        mapped = load_mapping(pending.practice, pending.system).apply_to(
            data.pop("pms_status", ""), data.pop("office", "")
        )
        context["rows"] = _rows(pending)
        context["proposed"] = change_words.proposed(pending.profile, data, mapped)
    return context


def _find(hub: HubContext, public_id: Any) -> PendingLink:
    return get_confirmation(hub.practice, public_id)


@never_cache
@require_GET
@staff_view()
def confirm_page(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    pending = _find(hub, public_id)
    if pending.state == LinkState.PENDING and is_expired(pending):
        actions.expire_confirmation(practice=hub.practice, pending=pending, actor=hub.actor)
        pending.refresh_from_db()
    context = _context(request, pending)
    status = 410 if context["expired"] else 200
    return render(request, "integrations/confirm_link.html", context, status=status)


def _decide(request: HttpRequest, hub: HubContext, public_id: Any, confirm: bool) -> HttpResponse:
    pending = _find(hub, public_id)
    outcome: dict[str, Any] = {"id": str(pending.public_id)}
    try:
        if confirm:
            done = actions.confirm_link(practice=hub.practice, pending=pending, actor=hub.actor)
            outcome["changes"] = done.changes
        else:
            actions.cancel_link(practice=hub.practice, pending=pending, actor=hub.actor)
    except ActionError as exc:
        outcome["error"] = exc.message
    request.session[SESSION_DECIDED] = outcome
    return redirect("integrations:confirm_link", pending.public_id)


@require_POST
@staff_view()
def confirm(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    return _decide(request, hub, public_id, confirm=True)


@require_POST
@staff_view()
def cancel(request: HttpRequest, public_id: Any, *, hub: HubContext) -> HttpResponse:
    return _decide(request, hub, public_id, confirm=False)
