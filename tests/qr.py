"""A practice's QR code for tests: 10 points, once per patient, valid from today, unless told."""

from __future__ import annotations

from typing import Any

from tests.conftest import SYSTEM

from rewardshub.campaigns.actions import QrFields, create_qr_code, practice_today
from rewardshub.campaigns.models import QrCode, QrLimit
from rewardshub.practices.models import Practice

SOCIAL = "Checked in on social media"


def new_qr_code(practice: Practice, **changes: Any) -> QrCode:
    fields: dict[str, Any] = {
        "label": SOCIAL,
        "points": 10,
        "reward_item": None,
        "valid_from": practice_today(practice),
        "valid_until": None,
        "limit": QrLimit.ONCE,
        "every_days": None,
        "active": True,
        **changes,
    }
    return create_qr_code(practice=practice, fields=QrFields(**fields), actor=SYSTEM)
