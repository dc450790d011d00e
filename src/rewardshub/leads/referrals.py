"""The portal's "Refer a friend": a signed-in patient names a friend, and the
practice gets a lead (source Referral, referred by the patient).

Limited in the shared throttle store (rewardshub/ratelimit.py): a patient may
refer REFERRALS_PER_DAY friends a day, and the same friend's email or phone
may be referred once in ADDRESS_DAYS days by anyone in the practice, so the
form cannot be used to flood the front desk or pester one person. The
patient later sees each referral only as pending or bonus paid, never the
friend's status (their health information).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext

from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.leads.actions import create_lead
from rewardshub.leads.models import Lead, LeadSource
from rewardshub.patients.models import Profile
from rewardshub.ratelimit import FailureLimiter

REFERRALS_PER_DAY = 5
ADDRESS_DAYS = 30
_DAY = 24 * 60 * 60


def patient_limiter() -> FailureLimiter:
    return FailureLimiter(
        scope="referral-patient",
        max_failures=REFERRALS_PER_DAY,
        window_seconds=_DAY,
        lockout_seconds=_DAY,
    )


def address_limiter() -> FailureLimiter:
    return FailureLimiter(
        scope="referral-address",
        max_failures=1,
        window_seconds=ADDRESS_DAYS * _DAY,
        lockout_seconds=ADDRESS_DAYS * _DAY,
    )


def address_key(practice_id: int, email: str, phone: str) -> str:
    """The friend's address as counted: the email, else the phone's digits."""
    if email:
        return f"{practice_id}:email:{email.strip().casefold()}"
    return f"{practice_id}:phone:{re.sub(r'[^0-9]', '', phone)[-10:]}"


def _when(until: float, time_zone: str) -> str:
    """The day the limit ends, in the practice's time zone."""
    day = dt.datetime.fromtimestamp(until, tz=zoneinfo.ZoneInfo(time_zone))
    return date_format(day, "M j, Y")


def refer_friend(*, profile: Profile, data: dict[str, Any], actor: Actor) -> Lead:
    """`data`: first_name, last_name, email and/or phone (validated by ReferForm)."""
    mine = patient_limiter().begin(profile.username)
    if mine.locked_until is not None:
        raise ActionError(
            "referral_limit",
            gettext(
                "You can refer up to %(count)s friends a day. Thank you! Please try again tomorrow."
            )
            % {"count": REFERRALS_PER_DAY},
            status=429,
        )
    theirs = address_limiter().begin(address_key(profile.practice_id, data["email"], data["phone"]))
    if theirs.locked_until is not None:
        mine.succeeded()  # not counted against the patient
        raise ActionError(
            "friend_referred",
            gettext(
                "This friend was referred to us in the last %(days)s days, so we already "
                "have their details. You can refer them again after %(day)s."
            )
            % {"days": ADDRESS_DAYS, "day": _when(theirs.locked_until, profile.practice.time_zone)},
            status=429,
        )
    values = {
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "email": data["email"],
        "phone": data["phone"],
        "source": LeadSource.REFERRAL,
    }
    lead = create_lead(practice=profile.practice, data=values, actor=actor, referred_by=profile)
    # The friend's window starts now (the limit is one referral per window).
    theirs.failed()
    return lead
