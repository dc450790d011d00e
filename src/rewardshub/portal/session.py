"""The portal session: a patient principal, kept apart from staff sessions.

A portal log-in flushes the session first (dropping any staff sign-in or PMS
launch in that browser and giving a new session key), then stores only the
profile and practice ids and a fingerprint of the password hash, so changing
the password ends every other portal session. Staff pages never read these
keys, and the staff sign-in flushes them in turn.

A parent or guardian (families app) uses the same pages for one child at a
time: with no patient signed in, `current_user` asks the registered
`delegates` for the principal, and `portal_view` sends a delegate who acts
for no child (yet) to the delegate's own landing page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac

from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.portal.auth import LoginResult, actor_label, portal_actor
from rewardshub.portal.language import for_patient, mark, remember
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.models import Practice

SESSION_PROFILE = "portal_profile_id"
SESSION_PRACTICE = "portal_practice_id"
SESSION_AUTH = "portal_auth"
SESSION_PENDING = "portal_pending"
# Time to confirm the name and choose a password after a temporary-password log-in.
PENDING_SECONDS = 15 * 60


def _fingerprint(value: str, purpose: str) -> str:
    return salted_hmac(f"rewardshub.portal.{purpose}", value).hexdigest()


@dataclass
class PortalUser:
    profile: Profile
    # None when a parent or guardian acts for the patient (they sign in to no patient's account).
    account: PortalAccount | None
    actor: Actor
    # The parent or guardian acting for the patient (families app), or None.
    guardian: Any = None

    @property
    def practice(self) -> Practice:
        return self.profile.practice


def log_in(request: HttpRequest, account: PortalAccount) -> None:
    request.session.flush()
    request.session.cycle_key()
    request.session[SESSION_PROFILE] = account.profile_id
    request.session[SESSION_PRACTICE] = account.practice_id
    request.session[SESSION_AUTH] = _fingerprint(account.password, "auth")


def start_pending(request: HttpRequest, result: LoginResult) -> None:
    """A temporary password checked out: remember who, until the name is confirmed."""
    request.session.flush()
    request.session[SESSION_PENDING] = {
        "profile": result.profile.pk,
        "practice": result.profile.practice_id,
        "temp": _fingerprint(result.temp_hash, "pending"),
        "at": time.time(),
    }


@dataclass
class Pending:
    profile: Profile
    temp_fingerprint: str


def get_pending(request: HttpRequest) -> Pending | None:
    data = request.session.get(SESSION_PENDING)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        return None
    profile_id, practice_id = data.get("profile"), data.get("practice")
    if not isinstance(profile_id, int) or not isinstance(practice_id, int):
        return None
    profile = (
        Profile.objects.filter(pk=profile_id, practice_id=practice_id)
        .select_related("practice")
        .first()
    )
    if profile is None:
        return None
    return Pending(profile=profile, temp_fingerprint=str(data.get("temp", "")))


def pending_hash_matches(pending: Pending, stored_hash: str) -> bool:
    return bool(stored_hash) and constant_time_compare(
        pending.temp_fingerprint, _fingerprint(stored_hash, "pending")
    )


def _no_delegate(request: HttpRequest) -> PortalUser | None:
    return None


def _no_landing(request: HttpRequest) -> str | None:
    return None


@dataclass
class Delegates:
    """Who else may use the patient's pages: a higher app registers it in its
    AppConfig.ready (families: a parent or guardian acting for one of their
    children), so the portal imports no higher app."""

    # The principal of a delegate's session acting for a patient, or None.
    resolve: Callable[[HttpRequest], PortalUser | None] = _no_delegate
    # Where a delegate's session that acts for no patient (yet) goes instead.
    landing: Callable[[HttpRequest], str | None] = _no_landing


delegates = Delegates()


def register_delegates(
    *,
    resolve: Callable[[HttpRequest], PortalUser | None],
    landing: Callable[[HttpRequest], str | None],
) -> None:
    delegates.resolve = resolve
    delegates.landing = landing


def current_user(request: HttpRequest) -> PortalUser | None:
    profile_id = request.session.get(SESSION_PROFILE)
    practice_id = request.session.get(SESSION_PRACTICE)
    if profile_id is None or practice_id is None:
        return delegates.resolve(request)
    account = (
        PortalAccount.objects.filter(profile_id=profile_id, practice_id=practice_id)
        .select_related("profile", "profile__practice")
        .first()
    )
    if account is None or not account.is_active:
        return None
    if not constant_time_compare(
        str(request.session.get(SESSION_AUTH, "")), _fingerprint(account.password, "auth")
    ):
        return None
    actor = portal_actor(request, actor_label(account.profile))
    return PortalUser(profile=account.profile, account=account, actor=actor)


def page_context(me: PortalUser, nav: str, **extra: object) -> dict[str, object]:
    """What every signed-in portal page gives its template: the patient, for the
    menu (portal/base.html) and the page, the menu item it is, and its own values."""
    return {"me": me, "profile": me.profile, "practice": me.practice, "nav": nav, **extra}


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Require a logged-in patient; pass it as `me`. Dates in the practice's time zone,
    words in the patient's language (portal.language)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        me = current_user(request)
        if me is None:
            if request.session.get(SESSION_PROFILE) is not None:
                request.session.flush()
            return redirect(delegates.landing(request) or "portal:login")
        # The profile's own choice wins over the session's copy (one made elsewhere).
        code = for_patient(request, me.profile.language)
        remember(request, me.profile.language)
        with timezone.override(me.practice.time_zone), translation.override(code):
            response = view(request, *args, me=me, **kwargs)
        mark(response, code)
        return response

    return wrapper
