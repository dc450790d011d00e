"""The "New portal password" button's stamp (portal/stamps.py says why)."""

from __future__ import annotations

from django import template
from django.core.exceptions import ObjectDoesNotExist

from rewardshub.patients.models import Profile
from rewardshub.portal.stamps import stamp

register = template.Library()


@register.simple_tag
def temp_password_stamp(profile: Profile) -> str:
    try:
        current = profile.portal_account.temp_password_hash
    except ObjectDoesNotExist:
        current = ""
    return stamp(current)
