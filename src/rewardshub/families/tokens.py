"""The invitation's one-time link: a signed, expiring token that sets the guardian's password.

Like the portal's reset token (portal.reset): it holds only the guardian's
opaque public id and a fingerprint of the password hash and the invitation's
time, signed with the secret key. Setting the password, or a newer
invitation, makes the link stop working. No one's data is in the link.
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from rewardshub.families.models import Guardian

SALT = "rewardshub.families.invitation"
# How long an invitation's link works.
INVITATION_HOURS = 72


def _state(guardian: Guardian) -> str:
    value = f"{guardian.pk}:{guardian.password}:{guardian.invited_at.isoformat()}"
    return salted_hmac(SALT, value).hexdigest()[:24]


def make_token(guardian: Guardian) -> str:
    return signing.dumps([guardian.public_id.hex, _state(guardian)], salt=SALT)


def guardian_for_token(token: str) -> Guardian | None:
    try:
        public_id, state = signing.loads(token, salt=SALT, max_age=INVITATION_HOURS * 3600)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    guardian = Guardian.objects.filter(public_id=public_id).select_related("practice").first()
    if guardian is None or not constant_time_compare(str(state), _state(guardian)):
        return None
    return guardian
