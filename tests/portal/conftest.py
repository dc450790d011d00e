"""Portal fixtures: a patient whose card came with a temporary password, points and prizes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from rewardshub.audit.actors import Actor
from rewardshub.cards.batches import IssuedCard, issue_batch
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, Prize
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

SYSTEM = Actor.system("tests")
NEW_PASSWORD = "sparkly-braces-42"
LOGIN = "/portal/login/"


@dataclass
class Patient:
    profile: Profile
    card: IssuedCard

    @property
    def username(self) -> str:
        return self.profile.username


@pytest.fixture
def batch(acworth: Practice) -> list[IssuedCard]:
    return issue_batch(practice=acworth, count=6, actor=SYSTEM)


@pytest.fixture
def patient(acworth: Practice, batch: list[IssuedCard], make_profile: Any) -> Patient:
    profile = make_profile(acworth, first="Emma", last="Johnson", card=batch[0].number)
    return Patient(profile=profile, card=batch[0])


@pytest.fixture
def give_points() -> Callable[[Profile, int], None]:
    def give(profile: Profile, points: int) -> None:
        with transaction.atomic():
            locked = lock_profile(profile.practice, profile)
            post(
                practice=profile.practice,
                profile=locked,
                points=points,
                kind=EntryKind.AWARD,
                actor=SYSTEM,
                description="Wearing elastics",
            )
        profile.refresh_from_db()

    return give


@pytest.fixture
def activated(patient: Patient) -> Patient:
    """The patient after the first log-in: a real password and an email."""
    activate_account(
        profile=patient.profile,
        temp_hash=temp_password_hashes(patient.profile, None)[0],
        password=NEW_PASSWORD,
        email="Emma.Johnson@example.com",
        actor=SYSTEM,
    )
    return patient


@pytest.fixture
def portal_client(activated: Patient) -> Client:
    client = Client()
    response = client.post(LOGIN, {"identifier": activated.username, "password": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    return client


@pytest.fixture
def prizes(acworth: Practice) -> dict[str, Prize]:
    return {
        "sticker": Prize.objects.create(practice=acworth, name="Sticker pack", cost=5),
        "headphones": Prize.objects.create(practice=acworth, name="Headphones", cost=300),
        "yoyo": Prize.objects.create(practice=acworth, name="Yo-yo", cost=10, stock=0),
    }
