"""Family fixtures: two children of Acworth with one parent's email, and that parent invited.

The guardian's invitation is accepted through its real token (the link the
mail carries), so a test starts from a verified guardian with a password.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from tests.merges.conftest import give

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind
from rewardshub.families.actions import accept_invitation, confirm_link, invite_guardian
from rewardshub.families.models import Guardian, GuardianLink
from rewardshub.families.tokens import guardian_for_token, make_token
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

SYSTEM = Actor.system("tests")
PARENT_EMAIL = "jordan.parent@family.test"
GUARDIAN_PASSWORD = "two-kids-and-a-dog-7"
LOGIN = "/portal/family/login/"
CHOOSE = "/portal/family/"
SWITCH = "/portal/family/switch/"


def staff_actor(user: Any) -> Actor:
    return Actor(kind=ActorKind.STAFF, label=user.username, user_id=user.pk)


@dataclass
class Family:
    emma: Profile
    liam: Profile
    guardian: Guardian

    def link(self, profile: Profile) -> GuardianLink:
        return GuardianLink.objects.get(guardian=self.guardian, profile=profile)


@pytest.fixture
def children(acworth: Practice, make_profile: Any) -> tuple[Profile, Profile]:
    emma = make_profile(acworth, "Emma", "Johnson", email=PARENT_EMAIL)
    liam = make_profile(acworth, "Liam", "Johnson", email="Jordan.Parent@family.test")
    give(emma, 40)
    give(liam, 25)
    return emma, liam


def accept(guardian: Guardian, password: str = GUARDIAN_PASSWORD) -> Guardian:
    found = guardian_for_token(make_token(guardian))
    assert found is not None
    return accept_invitation(guardian=found, password=password, actor=SYSTEM)


@pytest.fixture
def invited(children: tuple[Profile, Profile], owner: Any) -> Family:
    """Invited from Emma's page: Emma's link confirmed, Liam's (same email) only proposed."""
    emma, liam = children
    invitation = invite_guardian(
        practice=emma.practice, profile=emma, email=PARENT_EMAIL, actor=staff_actor(owner)
    )
    return Family(emma, liam, invitation.guardian)


@pytest.fixture
def family(invited: Family, owner: Any) -> Family:
    """Both links confirmed by staff and the invitation accepted."""
    confirm_link(
        practice=invited.liam.practice, link=invited.link(invited.liam), actor=staff_actor(owner)
    )
    invited.guardian = accept(invited.guardian)
    return invited


@pytest.fixture
def sign_in_guardian() -> Callable[..., Client]:
    def go(email: str = PARENT_EMAIL, password: str = GUARDIAN_PASSWORD) -> Client:
        client = Client()
        answer = client.post(LOGIN, {"email": email, "password": password})
        assert answer.status_code == 302 and answer["Location"] == CHOOSE, answer.content
        return client

    return go


def switch(client: Client, profile: Profile) -> Any:
    return client.post(SWITCH, {"child": str(profile.public_id)})
