"""Lead fixtures: a referring patient who uses the portal, the referral bonus
rule, and leads made through the actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.automations.models import AutoRule, Trigger
from rewardshub.automations.settings_actions import save_rule
from rewardshub.leads.actions import create_lead
from rewardshub.leads.models import Lead, LeadSource
from rewardshub.patients.models import Profile
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

PORTAL_PASSWORD = "sparkly-braces-42"
BONUS = 50
MIA = {
    "first_name": "Mia",
    "last_name": "Lopez",
    "email": "mia.lopez@example.com",
    "phone": "",
    "birth_date": dt.date(2013, 2, 9),
    "source": LeadSource.WEBSITE,
    "notes": "",
}


@pytest.fixture
def portal_patient(issue_cards: Any, make_profile: Any) -> Callable[..., Profile]:
    """A patient with a card and a portal account (password PORTAL_PASSWORD)."""

    def make(practice: Practice, first: str, last: str) -> Profile:
        profile: Profile = make_profile(practice, first, last, card=issue_cards(practice, 1)[0])
        activate_account(
            profile=profile,
            temp_hash=temp_password_hashes(profile, None)[0],
            password=PORTAL_PASSWORD,
            email="",
            actor=SYSTEM,
        )
        return profile

    return make


@pytest.fixture
def referrer(acworth: Practice, portal_patient: Callable[..., Profile]) -> Profile:
    """Emma, a patient with a card and a portal account."""
    return portal_patient(acworth, "Emma", "Johnson")


def portal_login(profile: Profile) -> Client:
    client = Client()
    response = client.post(
        "/portal/login/", {"identifier": profile.username, "password": PORTAL_PASSWORD}
    )
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def referrer_client(referrer: Profile) -> Client:
    return portal_login(referrer)


def enable_bonus(
    practice: Practice, stage: str = "started_treatment", points: int = BONUS
) -> AutoRule:
    return save_rule(
        practice=practice,
        trigger=Trigger.REFERRAL,
        enabled=True,
        actor=SYSTEM,
        points=points,
        referral_stage=stage,
    )


@pytest.fixture
def bonus_rule(acworth: Practice) -> AutoRule:
    return enable_bonus(acworth)


@pytest.fixture
def make_lead(db: Any) -> Callable[..., Lead]:
    def make(practice: Practice, referred_by: Profile | None = None, **data: Any) -> Lead:
        values = {**MIA, **data}
        if referred_by is not None:
            values["source"] = data.get("source", LeadSource.REFERRAL)
        return create_lead(practice=practice, data=values, actor=SYSTEM, referred_by=referred_by)

    return make


# The integration API's fixtures (a key and a JSON client for Acworth, its cards).
from tests.integrations.conftest import acworth_key, api, cards  # noqa: E402, F401
