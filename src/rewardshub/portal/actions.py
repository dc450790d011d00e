"""Portal account changes: activation, log-ins, temporary passwords, password resets.

Each is one transaction with its audit row (actor kind "patient", or the
staff member who issued a temporary password).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.cards.models import Card
from rewardshub.cards.temp_passwords import hash_temp_password, new_temp_password
from rewardshub.errors import ActionError
from rewardshub.patients.models import Profile
from rewardshub.portal.auth import username_limiter
from rewardshub.portal.models import PortalAccount
from rewardshub.practices.models import Practice

# Marked here, translated when raised (in the request's language).
EMAIL_TAKEN = gettext_noop(
    "That email is already used by another account at this practice. "
    "Use a different email, or leave it empty."
)


def email_in_use(practice: Practice, email: str, profile: Profile) -> bool:
    return (
        bool(email)
        and PortalAccount.objects.filter(practice=practice, email=email.lower())
        .exclude(profile=profile)
        .exists()
    )


def activate_account(
    *, profile: Profile, temp_hash: str, password: str, email: str, actor: Actor
) -> PortalAccount:
    """The first log-in: the patient confirmed their name and chose a password.

    Every temporary password of the profile dies here: the cards' and any staff issued.
    """
    practice = profile.practice
    email = email.strip().lower()
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk, practice=practice)
        # With its practice and profile: the same work as a new account's afterwards.
        account = (
            PortalAccount.objects.filter(profile=locked)
            .select_related("practice", "profile")
            .first()
        )
        live = [c.temp_password_hash for c in Card.objects.filter(profile=locked)]
        if account is not None:
            live.append(account.temp_password_hash)
        if not temp_hash or temp_hash not in live:
            raise ActionError(
                "temp_password_used",
                gettext(
                    "This temporary password was already used. Log in again with your password."
                ),
                status=409,
            )
        if email_in_use(practice, email, locked):
            raise ActionError("email_taken", gettext(EMAIL_TAKEN))
        if account is None:
            account = PortalAccount(profile=locked, practice=practice)
        account.set_password(password)
        account.email = email
        account.temp_password_hash = ""
        account.activated_at = account.activated_at or timezone.now()
        account.last_login = timezone.now()
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            raise ActionError("email_taken", gettext(EMAIL_TAKEN)) from None
        Card.objects.filter(profile=locked).exclude(temp_password_hash="").update(
            temp_password_hash=""
        )
        record_event(
            practice=practice,
            actor=actor,
            action="portal.activate",
            profile=locked,
            detail={"email": bool(email)},
        )
    username_limiter().reset(profile.username)
    return account


def record_login(*, account: PortalAccount, actor: Actor) -> None:
    with transaction.atomic():
        PortalAccount.objects.filter(pk=account.pk).update(last_login=timezone.now())
        record_event(
            practice=account.practice,
            actor=actor,
            action="portal.login",
            profile=account.profile,
        )


def record_logout(*, profile: Profile, actor: Actor) -> None:
    record_event(practice=profile.practice, actor=actor, action="portal.logout", profile=profile)


def record_portal_view(*, profile: Profile, actor: Actor, page: str) -> None:
    record_event(
        practice=profile.practice,
        actor=actor,
        action="portal.view",
        profile=profile,
        detail={"page": page},
    )


def issue_temp_password(*, practice: Practice, profile: Profile, actor: Actor) -> str:
    """A new 4-digit portal password from the front desk; returned once, stored hashed.

    The patient's current password keeps working until the new one is used;
    the username's lock (too many failures) is lifted.
    """
    password = new_temp_password()
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk, practice=practice)
        account, _ = PortalAccount.objects.get_or_create(
            profile=locked, defaults={"practice": practice}
        )
        account.temp_password_hash = hash_temp_password(password)
        account.save(update_fields=["temp_password_hash"])
        record_event(practice=practice, actor=actor, action="portal.temp_password", profile=locked)
    username_limiter().reset(profile.username)
    return password


def reset_password(*, account: PortalAccount, password: str, actor: Actor) -> None:
    """A new password from the emailed link; the link then stops working."""
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().get(pk=account.pk)
        account.set_password(password)
        account.temp_password_hash = ""
        account.save(update_fields=["password", "temp_password_hash"])
        record_event(
            practice=account.practice,
            actor=actor,
            action="portal.password_reset",
            profile=account.profile,
        )
    username_limiter().reset(account.profile.username)


def set_language(*, profile: Profile, language: str, actor: Actor) -> bool:
    """The language the patient chose for the portal and their mail; False when unchanged."""
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk, practice=profile.practice)
        if locked.language == language:
            return False
        Profile.objects.filter(pk=locked.pk).update(language=language)
        record_event(
            practice=profile.practice,
            actor=actor,
            action="portal.language",
            profile=locked,
            detail={"from": locked.language, "to": language},
        )
    profile.language = language
    return True
