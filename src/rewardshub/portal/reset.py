"""Password reset by email: a signed, expiring, single-use token and the email that carries it.

The token holds only the account's opaque public id and a fingerprint of its
password hash, signed with the secret key (like Django's
PasswordResetTokenGenerator): once the password changes, the fingerprint no
longer matches and the link stops working. No patient data is in the link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import Outcome
from rewardshub.notify.compose import build_message
from rewardshub.notify.kinds import PASSWORD_RESET
from rewardshub.portal.models import PortalAccount
from rewardshub.ratelimit import FailureLimiter

SALT = "rewardshub.portal.reset"
log = logging.getLogger(__name__)
# Reset mails per address: enough for a family, too few to spam anyone. The
# guardians' reset (families) counts the same numbers in its own scope.
MAIL_LIMIT = FailureLimiter(
    scope="portal-reset", max_failures=10, window_seconds=3600, lockout_seconds=3600
)


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


class MailAfterResponse(HttpResponse):
    """A page whose mails go out once the server has sent it (WSGI calls close() then).

    Sending takes time (an SMTP conversation, or a worker's first message), and
    only a known email has a mail to send: sent inside the request, the time
    to answer would tell which emails have accounts.
    """

    def __init__(self, content: str, mails: list[EmailMessage]) -> None:
        super().__init__(content)
        self.mails = mails

    def close(self) -> None:
        try:
            super().close()
        finally:
            for message in self.mails:
                try:
                    message.send()
                except Exception as exc:  # noqa: BLE001 - the page is sent; report and go on
                    # The class only: an SMTP error can quote the recipient.
                    log.error("portal reset mail not sent: %s", type(exc).__name__)


def may_mail(request: HttpRequest, limit: FailureLimiter = MAIL_LIMIT) -> bool:
    """False once this address asked for too many mails (and then no mail is made).

    Counted before the mail is made, so parallel requests cannot pass the limit.
    """
    return limit.begin(client_ip(request) or "unknown").locked_until is None


def reset_emails(request: HttpRequest, email: str, actor: Actor) -> list[EmailMessage]:
    """The reset mails for each activated account with this email, audited; not yet sent.

    A known and an unknown email cost the same queries: one read, one audit
    row (for an unknown email, one that names no practice or patient).
    """
    accounts = PortalAccount.objects.filter(
        email=email.strip().lower(), activated_at__isnull=False
    ).select_related("profile", "practice")
    mails: list[EmailMessage] = []
    with transaction.atomic():
        for account in accounts:
            link = request.build_absolute_uri(
                reverse("portal:reset_confirm", kwargs={"token": make_token(account)})
            )
            context = {
                "first_name": account.profile.first_name,
                "link": link,
                "minutes": settings.PORTAL_RESET_SECONDS // 60,
            }
            # Transactional (notify.kinds): never opted out of, no unsubscribe link.
            # In the patient's language; before they chose one, the browser's.
            language = account.profile.language or translation.get_language()
            mails.append(
                build_message(
                    PASSWORD_RESET,
                    account.practice,
                    account.email,
                    context,
                    language=language,
                )
            )
            record_event(
                practice=account.practice,
                actor=actor,
                action="portal.reset_request",
                profile=account.profile,
            )
        if not mails:
            record_event(
                practice=None,
                actor=actor,
                action="portal.reset_request",
                outcome=Outcome.FAILED,
                detail={"reason": "no_account"},
            )
    return mails
