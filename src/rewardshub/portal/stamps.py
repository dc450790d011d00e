"""The "New portal password" button's stamp: which temporary password the profile had
when the page with the button was made.

The new password is shown in the answer to the POST and never kept for a page
after a redirect (it would sit in the session, a database row that backups
copy). That leaves a POST in the browser's history: a reload or Forward that
sends it again, or a double click, would quietly replace the password just
given to the patient. The view refuses a stale stamp; a form without one (a
script) is served as before.
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac

from rewardshub.patients.models import Profile
from rewardshub.portal.models import PortalAccount

STAMP_FIELD = "issued"


def stamp(temp_password_hash: str) -> str:
    """An opaque mark of the current temporary password; its hash never leaves the hub."""
    return salted_hmac("rewardshub.portal.temp-password-form", temp_password_hash).hexdigest()[:20]


def current_stamp(profile: Profile) -> str:
    current = (
        PortalAccount.objects.filter(profile=profile)
        .values_list("temp_password_hash", flat=True)
        .first()
    )
    return stamp(current or "")
