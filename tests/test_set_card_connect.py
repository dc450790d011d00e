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



SWIPE_NOW = "was set in Orthotrac: swipe it now."


def _note(number: str) -> str:
    return f'Card <strong class="card-number">…{number[-4:]}</strong> {SWIPE_NOW}'


def test_connect_card_proposes_the_card_set_in_orthotrac(
    acworth: Practice, numbers: list[str], frontdesk_client: Client
) -> None:
    emma = set_in_orthotrac(acworth, numbers[0])
    profile_page = frontdesk_client.get(f"/patients/{emma.public_id}/").content.decode()
    assert 'class="btn btn-connect">Connect Card' in profile_page
    assert _note(numbers[0]) in profile_page
    connect_page = frontdesk_client.get(f"/cards/connect/{emma.public_id}/").content.decode()
    assert _note(numbers[0]) in connect_page
    # Swiping it connects it; then the profile has an active card and no note.
    response = frontdesk_client.post(
        f"/cards/connect/{emma.public_id}/", {"card_number": f";{numbers[0]}=9912?"}
    )
    assert response.status_code == 302
    card = Card.objects.get(number=numbers[0])
    assert (card.state, card.profile_id) == (CardState.ACTIVE, emma.pk)
    profile_page = frontdesk_client.get(f"/patients/{emma.public_id}/").content.decode()
    assert SWIPE_NOW not in profile_page and "Replace Card" in profile_page


def test_no_card_is_proposed_for_a_patient_made_without_one(
    acworth: Practice, numbers: list[str], make_profile: Callable[..., Profile],
    frontdesk_client: Client,
) -> None:
    liam = make_profile(acworth, first="Liam", last="Smith")
    for url in (f"/patients/{liam.public_id}/", f"/cards/connect/{liam.public_id}/"):
        page = frontdesk_client.get(url).content.decode()
        assert "Connect Card" in page and SWIPE_NOW not in page
