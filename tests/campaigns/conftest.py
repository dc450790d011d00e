"""Campaign fixtures: QR codes, a portal patient (tests/portal) and the menu (tests/points)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.conftest import SYSTEM
from tests.points.conftest import menu
from tests.portal.conftest import (
    LOGIN,
    NEW_PASSWORD,
    Patient,
    activated,
    batch,
    give_points,
    patient,
    portal_client,
)

from rewardshub.campaigns.actions import QrFields, create_qr_code, practice_today
from rewardshub.campaigns.models import QrCode, QrLimit
from rewardshub.practices.models import Practice

__all__ = [
    "LOGIN",
    "NEW_PASSWORD",
    "Patient",
    "activated",
    "batch",
    "give_points",
    "menu",
    "patient",
    "portal_client",
]

SOCIAL = "Checked in on social media"


@pytest.fixture
def make_code(db: Any) -> Callable[..., QrCode]:
    """A code of the practice: 10 points, once per patient, valid from today, unless told."""

    def make(practice: Practice, **changes: Any) -> QrCode:
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

    return make


@pytest.fixture
def code(acworth: Practice, make_code: Callable[..., QrCode]) -> QrCode:
    return make_code(acworth)


def collect_path(code: QrCode) -> str:
    return f"/portal/collect/{code.token}/"


def days_ago(practice: Practice, days: int) -> dt.date:
    return practice_today(practice) - dt.timedelta(days=days)


def portal_login(client: Client, username: str, next_path: str = "") -> Any:
    data = {"identifier": username, "password": NEW_PASSWORD}
    if next_path:
        data["next"] = next_path
    return client.post(LOGIN, data)
