"""The guardian's one-time links: the invitation's and a forgotten password's.

Like the portal's reset token (portal.reset): each holds only the guardian's
opaque public id and a fingerprint of the password hash (and, for an
invitation, the invitation's time), signed with the secret key and its own
salt, so one kind of link never opens the other's page. Setting the
password, or a newer invitation, makes a link stop working. No one's data is
in the link.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from rewardshub.families.models import Guardian

SALT = "rewardshub.families.invitation"
RESET_SALT = "rewardshub.families.reset"
# How long an invitation's link works.
INVITATION_HOURS = 72


def _state(guardian: Guardian) -> str:
    value = f"{guardian.pk}:{guardian.password}:{guardian.invited_at.isoformat()}"
    return salted_hmac(SALT, value).hexdigest()[:24]


def _reset_state(guardian: Guardian) -> str:
    return salted_hmac(RESET_SALT, f"{guardian.pk}:{guardian.password}").hexdigest()[:24]


def _load(
    token: str, salt: str, max_age: int, state: Callable[[Guardian], str], **only: object
) -> Guardian | None:
    try:
        public_id, fingerprint = signing.loads(token, salt=salt, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    guardian = (
        Guardian.objects.filter(public_id=public_id, **only).select_related("practice").first()
    )
    if guardian is None or not constant_time_compare(str(fingerprint), state(guardian)):
        return None
    return guardian


def make_token(guardian: Guardian) -> str:
    return signing.dumps([guardian.public_id.hex, _state(guardian)], salt=SALT)


def guardian_for_token(token: str) -> Guardian | None:
    return _load(token, SALT, INVITATION_HOURS * 3600, _state)


def make_reset_token(guardian: Guardian) -> str:
    """A forgotten password's link: it works for as long as the portal's reset links."""
    return signing.dumps([guardian.public_id.hex, _reset_state(guardian)], salt=RESET_SALT)


def guardian_for_reset_token(token: str) -> Guardian | None:
    # Only a verified guardian: an invitation not yet accepted is its own link's to finish.
    return _load(
        token, RESET_SALT, settings.PORTAL_RESET_SECONDS, _reset_state, verified_at__isnull=False
    )
