"""A card a PMS set as a patient's username before staff connected it.

Orthotrac's Set Card with an issued card that nobody has connected yet makes
that number the new profile's username. The card can only ever be that
patient's: it is never offered as available, and Connect Card leads staff to it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.cards.models import Card, CardState
from rewardshub.cards.queries import available_cards
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice


def set_in_orthotrac(practice: Practice, number: str, first: str = "Emma") -> Profile:
    """What Set Card does for an issued card nobody has: a profile named by the number."""
    return create_profile(
        practice=practice,
        data={"first_name": first, "last_name": "Johnson"},
        actor=SYSTEM,
        username=number,
    )


@pytest.fixture
def numbers(acworth: Practice, issue_cards: Callable[..., list[str]]) -> list[str]:
    return issue_cards(acworth, 3)


def test_a_username_card_is_never_listed_or_counted_as_available(
    acworth: Practice, numbers: list[str], owner_client: Client
) -> None:
    emma = set_in_orthotrac(acworth, numbers[0])
    assert sorted(available_cards(acworth).values_list("number", flat=True)) == numbers[1:]
    response = owner_client.get("/cards/batches/")
    assert response.status_code == 200
    [batch] = response.context["batches"]
    assert (batch.available, batch.set_in_pms, batch.active) == (2, 1, 0)
    html = response.content.decode()
    link = f'<a href="/patients/{emma.public_id}/">Emma Johnson</a>'
    assert f"Card …{numbers[0][-4:]}" in html
    assert f"Username of {link}" in html
    # Only staff connecting the card (or retiring it) changes its state.
    assert Card.objects.get(number=numbers[0]).state == CardState.AVAILABLE

