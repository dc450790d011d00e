"""The practice a request acts for, and who is acting.

Every staff page works inside one practice. A request gets its `HubContext`
from the session: a signed-in staff member acts for the practice chosen in
the switcher (with their role there); a session opened by a PMS launch link
acts for the launching practice with the rewards role and names the PMS user
(a launch into a staff session keeps that session: integrations/launch_session.py).
Views never read a practice from the URL or a form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import ActorKind
from rewardshub.practices.models import (
    AUDIT_ROLES,
    PATIENT_ROLES,
    REPORT_ROLES,
    SETTINGS_ROLES,
    Membership,
    Practice,
    Role,
)
from rewardshub.statement import Statement

SESSION_PRACTICE = "practice_id"
SESSION_LAUNCH = "launch"


@dataclass
class HubContext:
    practice: Practice
    role: str
    actor: Actor
    launched: bool = False
    memberships: list[Membership] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role

    @property
    def can_see_patients(self) -> bool:
        return self.role in PATIENT_ROLES

    @property
    def can_manage_settings(self) -> bool:
        return self.role in SETTINGS_ROLES

    @property
    def can_read_audit(self) -> bool:
        return self.role in AUDIT_ROLES

    @property
    def can_read_reports(self) -> bool:
        return self.role in REPORT_ROLES


# Every staff page reads the user's memberships: compiled once (statement.Statement).
def _memberships(user_id: int) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user_id).select_related("practice").order_by(
        "practice__name"
    )


_MEMBERSHIPS = Statement(_memberships, int, kind="models")


def _staff_context(request: HttpRequest, user: AbstractBaseUser) -> HubContext | None:
    memberships: list[Membership] = _MEMBERSHIPS.rows(user.pk)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_PRACTICE)
    current = next((m for m in memberships if m.practice.public_id.hex == chosen), memberships[0])
    actor = Actor(
        kind=ActorKind.STAFF,
        label=user.get_username(),
        user_id=user.pk,
        source_ip=client_ip(request),
    )
    return HubContext(
        practice=current.practice, role=current.role, actor=actor, memberships=memberships
    )


def _launch_context(request: HttpRequest, launch: dict[str, Any]) -> HubContext | None:
    practice_id = launch.get("practice_id")
    if not isinstance(practice_id, int):
        return None
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        return None
    actor = Actor(
        kind=ActorKind.INTEGRATION,
        label=str(launch.get("actor", "PMS")),
        source_ip=client_ip(request),
    )
    return HubContext(practice=practice, role=Role.REWARDS, actor=actor, launched=True)


def resolve_context(request: HttpRequest) -> HubContext | None:
    launch = request.session.get(SESSION_LAUNCH)
    if isinstance(launch, dict):
        return _launch_context(request, launch)
    user = getattr(request, "user", AnonymousUser())
    if isinstance(user, AbstractBaseUser) and user.is_authenticated:
        return _staff_context(request, user)
    return None


class HubContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Resolved lazily: API calls and static files never pay for it.
        request._hub_cache = None  # type: ignore[attr-defined]
        return self.get_response(request)


class PracticeTimeZoneMiddleware:
    """Each staff request in its practice's time zone, so every time on a page
    (`|date`, `|when`, `timezone.localtime()`) is the practice's local time.

    Sits after IdleLogoffMiddleware, which has already resolved the practice
    of a signed-in or launched session (no extra query). The API answers in
    ISO 8601 with an offset and never needs it; the portal sets its patient's
    practice's zone in portal_view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hub = None if request.path_info.startswith("/api/") else get_hub(request)
        if hub is None:
            return self.get_response(request)
        with timezone.override(hub.practice.time_zone):
            return self.get_response(request)


def get_hub(request: HttpRequest) -> HubContext | None:
    cached = getattr(request, "_hub_cache", None)
    if cached is None:
        cached = resolve_context(request)
        request._hub_cache = cached  # type: ignore[attr-defined]
    return cached


def hub_context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: `hub` is the current HubContext or None."""
    return {"hub": get_hub(request)}


ViewFunc = Callable[..., HttpResponse]


def staff_view(roles: Iterable[str] = PATIENT_ROLES) -> Callable[[ViewFunc], ViewFunc]:
    """Require a hub context whose role is one of `roles`; pass it as `hub`.

    No context: to the sign-in page. Wrong role: 403 with a page that says why.
    """
    allowed = frozenset(roles)

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            hub = get_hub(request)
            if hub is None:
                return redirect_to_login(request)
            if hub.role not in allowed:
                return render(
                    request,
                    "errors/403.html",
                    {"reason": "Your role in this practice cannot open this page."},
                    status=403,
                )
            return view(request, *args, hub=hub, **kwargs)

        return wrapper

    return decorate


def redirect_to_login(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login as django_redirect

    return django_redirect(request.get_full_path())


def switch_practice(request: HttpRequest, practice: Practice) -> None:
    request.session[SESSION_PRACTICE] = practice.public_id.hex
    request._hub_cache = None  # type: ignore[attr-defined]
