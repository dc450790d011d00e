"""Staff sign-in with a lockout after repeated failures."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import ActorKind, Outcome
from rewardshub.errors import ActionError
from rewardshub.practices.models import Practice
from rewardshub.ratelimit import FailureLimiter
from rewardshub.wording import count_of


def staff_limiter() -> FailureLimiter:
    return FailureLimiter(
        scope="staff-login",
        max_failures=settings.LOGIN_MAX_FAILURES,
        window_seconds=settings.LOGIN_LOCKOUT_SECONDS,
        lockout_seconds=settings.LOGIN_LOCKOUT_SECONDS,
    )


def _locked_error(until: float) -> ActionError:
    minutes = max(1, round((until - timezone.now().timestamp()) / 60))
    at = timezone.localtime(dt.datetime.fromtimestamp(until, tz=dt.UTC)).strftime("%H:%M")
    return ActionError(
        "locked",
        f"Too many failed sign-ins for this username. Sign-in is locked for {minutes} "
        f"more minute{'s' if minutes != 1 else ''} (until {at} UTC). "
        "Try again then, or ask the practice owner to reset your password.",
        status=429,
    )


def _practices_of(username: str) -> list[Practice]:
    # One query whether or not the username exists, so the time tells nothing.
    return list(Practice.objects.filter(memberships__user__username__iexact=username))


def _record(
    request: HttpRequest, username: str, action: str, outcome: str, user_id: int | None
) -> None:
    actor = Actor(
        kind=ActorKind.STAFF, label=username[:150], user_id=user_id, source_ip=client_ip(request)
    )
    with transaction.atomic():
        # The event goes to each practice the staff member works for, so their
        # owners see it; an unknown username has no practice to report to.
        practices: list[Practice | None] = [*_practices_of(username)] or [None]
        for practice in practices:
            record_event(practice=practice, actor=actor, action=action, outcome=outcome)


def sign_in(request: HttpRequest, username: str, password: str) -> AbstractBaseUser:
    """Check credentials under the lockout; return the user or raise ActionError.

    An unknown username costs what a known one does: Django's ModelBackend
    hashes the password once for a username it does not find, and the rest is
    the same queries either way.
    """
    # The attempt is counted before the password is checked, so parallel
    # guesses cannot slip past the lock (ratelimit.FailureLimiter.begin).
    attempt = staff_limiter().begin(username)
    if attempt.locked_until is not None:
        _record(request, username, "login", Outcome.DENIED, None)
        raise _locked_error(attempt.locked_until)
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        until = attempt.failed()
        _record(request, username, "login", Outcome.FAILED, None)
        if until is not None:
            raise _locked_error(until)
        raise ActionError(
            "bad_credentials",
            "That username and password do not match. Check them and try again "
            f"(after {settings.LOGIN_MAX_FAILURES} failed tries the username is locked "
            f"for {count_of(settings.LOGIN_LOCKOUT_SECONDS // 60, 'minute')}).",
            status=401,
        )
    attempt.succeeded(forget=True)
    _record(request, username, "login", Outcome.OK, user.pk)
    return user
