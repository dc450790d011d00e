"""A guardian's forgotten password: the mails that carry the reset link.

The portal's reset (portal.reset) in the guardian's terms: the same mail
(PASSWORD_RESET), the same lifetime, the same per-address limit in its own
scope, and the same work for a known, an unverified and an unknown email.
"""

from __future__ import annotations

import dataclasses

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from rewardshub.audit.actions import record_event
from rewardshub.audit.models import Outcome
from rewardshub.families.auth import guardian_actor
from rewardshub.families.models import Guardian
from rewardshub.families.rules import normalize_email
from rewardshub.families.tokens import make_reset_token
from rewardshub.notify.compose import build_message
from rewardshub.notify.kinds import PASSWORD_RESET
from rewardshub.portal.reset import MAIL_LIMIT

FAMILY_MAIL_LIMIT = dataclasses.replace(MAIL_LIMIT, scope="family-reset")


def greeting_name(email: str) -> str:
    """Whom the mail greets: the address's own name ("jordan.parent"), in any language.

    A guardian has no name on file; the invitation's "there" has no place in
    a Spanish "Hola, …:".
    """
    return email.rpartition("@")[0] or email


def reset_emails(request: HttpRequest, email: str) -> list[EmailMessage]:
    """The reset mails for each verified guardian with this email (any practice), audited;
    not yet sent (portal.reset.MailAfterResponse sends them after the page).

    A known, an unverified and an unknown email cost the same queries: one
    read, one audit row (for no guardian, one that names no practice).
    """
    guardians = Guardian.objects.filter(
        email=normalize_email(email), verified_at__isnull=False
    ).select_related("practice")
    # No language of their own on file: the browser's, as the page they asked from.
    language = translation.get_language()
    mails: list[EmailMessage] = []
    with transaction.atomic():
        for guardian in guardians:
            path = reverse("portal_family:reset", kwargs={"token": make_reset_token(guardian)})
            context = {
                "first_name": greeting_name(guardian.email),
                "link": request.build_absolute_uri(path),
                "minutes": settings.PORTAL_RESET_SECONDS // 60,
            }
            # Transactional (notify.kinds): never opted out of, no unsubscribe link.
            mails.append(
                build_message(
                    PASSWORD_RESET, guardian.practice, guardian.email, context, language=language
                )
            )
            record_event(
                practice=guardian.practice,
                actor=guardian_actor(request, guardian),
                action="family.reset_request",
                detail={"guardian": guardian.public_id.hex},
            )
        if not mails:
            record_event(
                practice=None,
                actor=guardian_actor(request, None),
                action="family.reset_request",
                outcome=Outcome.FAILED,
                detail={"reason": "no_account"},
            )
    return mails
