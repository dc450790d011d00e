"""A guardian's sign-in: email and password, under the portal's two rate limits.

The same shared-cache limits as the patients' log-in (portal.auth): failures
per name (here the email) lock it for a while even for the right password,
and failures per address pause that network. An unknown email, a wrong
password and an invitation not yet accepted get one message, after the same
one password check, so the page never tells which emails are guardians.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.http import HttpRequest

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import ActorKind, Outcome
from rewardshub.errors import ActionError
from rewardshub.families.models import Guardian
from rewardshub.families.rules import normalize_email
from rewardshub.portal.auth import begin_login, check_dummy_password

BAD_CREDENTIALS = (
    "That email or password isn’t right. Check them and try again. First time? "
    "Open the link in the email the practice sent you to choose your password."
)


def guardian_actor(request: HttpRequest, guardian: Guardian | None) -> Actor:
    label = f"Parent or guardian ({guardian.email})" if guardian else "Parent or guardian (unknown)"
    return Actor(kind=ActorKind.PATIENT, label=label[:200], source_ip=client_ip(request))


def locked_error(until: float) -> ActionError:
    minutes = max(1, round((until - time.time()) / 60))
    when = dt.datetime.fromtimestamp(until, tz=dt.UTC).strftime("%H:%M UTC")
    return ActionError(
        "locked",
        f"Too many wrong passwords for this email. Signing in is locked for {minutes} more "
        f"minute{'s' if minutes != 1 else ''} (until {when}). Try again then.",
        status=429,
    )


def _matches(guardian: Guardian | None, password: str) -> bool:
    if guardian is not None and guardian.can_sign_in:
        return guardian.check_password(password)
    check_dummy_password(password)
    return False


def _audit(request: HttpRequest, guardians: list[Guardian], outcome: str, reason: str) -> None:
    with transaction.atomic():
        named: list[Guardian | None] = [*guardians] or [None]
        for guardian in named:
            record_event(
                practice=guardian.practice if guardian else None,
                actor=guardian_actor(request, guardian),
                action="family.login",
                outcome=outcome,
                detail={"reason": reason},
            )


def check_guardian_login(request: HttpRequest, email: str, password: str) -> Guardian:
    """Who signs in, or ActionError. One email may be a guardian at several practices."""
    email = normalize_email(email)
    guardians = list(Guardian.objects.filter(email=email).select_related("practice"))

    def audit(outcome: str, reason: str) -> None:
        _audit(request, guardians, outcome, reason)

    login = begin_login(request, f"guardian:{email}", audit=audit, name_locked=locked_error)
    tries: list[Guardian | None] = [*guardians] or [None]
    for guardian in tries:
        if _matches(guardian, password) and guardian is not None:
            login.passed()
            return guardian
    audit(Outcome.FAILED, "bad_credentials")
    login.failed(locked_error)
    raise ActionError("bad_credentials", BAD_CREDENTIALS, status=401)
