"""Campaign fixtures: QR codes, a portal patient (tests/portal) and the menu (tests/points)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
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
from tests.qr import new_qr_code

from rewardshub.campaigns.actions import practice_today
from rewardshub.campaigns.models import QrCode
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



@pytest.fixture
def make_code(db: Any) -> Callable[..., QrCode]:
    """A code of the practice: 10 points, once per patient, valid from today, unless told."""
    return new_qr_code


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
