"""Password reset by email: a signed, expiring, single-use token and the email that carries it.

The token holds only the account's opaque public id and a fingerprint of its
password hash, signed with the secret key (like Django's
PasswordResetTokenGenerator): once the password changes, the fingerprint no
longer matches and the link stops working. No patient data is in the link.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.portal.models import PortalAccount

SALT = "rewardshub.portal.reset"


def _state(account: PortalAccount) -> str:
    return salted_hmac(SALT, f"{account.pk}:{account.password}").hexdigest()[:24]


def make_token(account: PortalAccount) -> str:
    return signing.dumps([account.public_id.hex, _state(account)], salt=SALT)


def account_for_token(token: str) -> PortalAccount | None:
    try:
        public_id, state = signing.loads(token, salt=SALT, max_age=settings.PORTAL_RESET_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    account = (
        PortalAccount.objects.filter(public_id=public_id, activated_at__isnull=False)
        .select_related("profile", "practice")
        .first()
    )
    if account is None or not constant_time_compare(str(state), _state(account)):
        return None
    return account


def send_reset_emails(request: HttpRequest, email: str, actor: Actor) -> int:
    """Mail a reset link to each activated account with this email; return how many."""
    accounts = PortalAccount.objects.filter(
        email=email.strip().lower(), activated_at__isnull=False
    ).select_related("profile", "practice")
    sent = 0
    for account in accounts:
        link = request.build_absolute_uri(
            reverse("portal:reset_confirm", kwargs={"token": make_token(account)})
        )
        context = {
            "practice": account.practice,
            "first_name": account.profile.first_name,
            "link": link,
            "minutes": settings.PORTAL_RESET_SECONDS // 60,
        }
        send_mail(
            subject=f"Your {account.practice.name} rewards password",
            message=render_to_string("portal/reset_email.txt", context),
            from_email=None,
            recipient_list=[account.email],
        )
        record_event(
            practice=account.practice,
            actor=actor,
            action="portal.reset_request",
            profile=account.profile,
        )
        sent += 1
    return sent
