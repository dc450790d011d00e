"""Unsubscribe links: a signed token naming a random key and a kind of mail.

The key is the patient's MailPreference.unsubscribe_key, random and used for
nothing else, so the link carries no id and no data of the patient. The
signature (the hub's secret key) keeps anyone from making a link for another
patient. Links do not expire: an old mail's link must still work, and one
sent to a profile since merged into another unsubscribes the profile kept.
"""

from __future__ import annotations

from django.core import signing

from rewardshub.notify.kinds import OPT_IN_VALUES
from rewardshub.notify.models import MailPreference

SALT = "rewardshub.notify.unsubscribe"


def make_token(preference: MailPreference, kind: str) -> str:
    return signing.dumps([preference.unsubscribe_key, kind], salt=SALT)


def read_token(token: str) -> tuple[MailPreference, str] | None:
    """The preference and kind a token names; None for a forged or unknown one."""
    try:
        key, kind = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(key, str) or kind not in OPT_IN_VALUES:
        return None
    preference = (
        MailPreference.objects.filter(unsubscribe_key=key)
        .select_related("practice", "profile")
        .first()
    )
    if preference is not None and preference.profile.merged_into_id is not None:
        # A link from before a merge: the choices are the profile kept's now.
        preference = (
            MailPreference.objects.filter(profile_id=preference.profile.merged_into_id)
            .select_related("practice", "profile")
            .first()
        )
    return (preference, kind) if preference is not None else None
