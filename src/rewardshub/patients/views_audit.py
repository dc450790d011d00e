"""The Audit log page: who did what, to which patient, when and from where.

Filters travel in the query string as opaque ids only (a profile's or a
membership's public id); the patient chooser takes a name by POST, so no
patient name ever lands in a URL, a log line or the browser history.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from rewardshub.audit.actions import record_event
from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.patients.models import Profile
from rewardshub.patients.queries import search_by_name
from rewardshub.practices.context import HubContext, staff_view
from rewardshub.practices.models import AUDIT_ROLES, Membership, Practice

PAGE_SIZE = 50
MAX_MATCHES = 20


def _uuid_param(request: HttpRequest, name: str) -> uuid.UUID | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        # A malformed id gets the same answer as another practice's: not found.
        raise Http404 from None


def _patient_matches(request: HttpRequest, practice: Practice) -> tuple[str, list[Profile] | None]:
    """The patient chooser: names typed into a POST form, answered with links by public id."""
    if request.method != "POST":
        return "", None
    # No name holds a NUL, and PostgreSQL refuses one in a query (a 500).
    text = request.POST.get("patient", "").replace("\x00", "").strip()[:100]
    if not text:
        return text, []
    found = search_by_name(practice, text).order_by("last_name", "first_name")
    return text, list(found[:MAX_MATCHES])


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    # isdecimal, not isdigit: "²" is a digit that int() refuses; and no page
    # number has more digits than a page count could.
    if not raw.isdecimal() or len(raw) > 9:
        return 1
    return max(int(raw), 1)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_view(roles=AUDIT_ROLES)
def audit_log(request: HttpRequest, *, hub: HubContext) -> HttpResponse:
    practice = hub.practice
    profile_id, staff_id = _uuid_param(request, "profile"), _uuid_param(request, "staff")
    profile = (
        get_object_or_404(Profile, practice=practice, public_id=profile_id) if profile_id else None
    )
    member = (
        get_object_or_404(
            Membership.objects.select_related("user"), practice=practice, public_id=staff_id
        )
        if staff_id
        else None
    )
    search_text, matches = _patient_matches(request, practice)
    # Reading the log is itself a read of patient data, so it is logged too,
    # before the query so the page shows its own row.
    record_event(
        practice=practice,
        actor=hub.actor,
        action="audit.view",
        profile=profile,
        detail={
            "page": _page_number(request),
            "staff": member.user.get_username() if member else None,
            "patient_search": matches is not None,
        },
    )

    events = AuditEvent.objects.filter(practice=practice).select_related("profile")
    if profile is not None:
        events = events.filter(profile=profile)
    if member is not None:
        events = events.filter(actor_user_id=member.user_id)
    page = Paginator(events.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filters = {k: v for k, v in (("profile", profile), ("staff", member)) if v is not None}
    query = urlencode({k: str(v.public_id) for k, v in filters.items()})
    context: dict[str, Any] = {
        "nav": "audit",
        "page": page,
        "rows": [(e, describe_action(e.action, e.outcome, e.detail)) for e in page],
        "profile": profile,
        "member": member,
        "members": Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("user__username"),
        "query": query,
        "search_text": search_text,
        "matches": matches,
        "time_zone": practice.time_zone,
    }
    return render(request, "audit/log.html", context)
