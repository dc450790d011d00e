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

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.batches import issue_batch
from rewardshub.cards.models import SET_CARD_RETIRED, Card, CardState
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


def _state() -> tuple[list[tuple[str, str, int | None, str]], list[str], int]:
    cards = Card.objects.order_by("number").values_list(
        "number", "state", "profile_id", "temp_password_hash"
    )
    usernames = Profile.objects.order_by("pk").values_list("username", flat=True)
    return list(cards), list(usernames), AuditEvent.objects.count()


def test_connecting_another_card_asks_first_and_then_retires_the_set_card(
    acworth: Practice, frontdesk_client: Client
) -> None:
    set_card, other = issue_batch(practice=acworth, count=2, actor=SYSTEM)
    a, b = set_card.number, other.number
    emma = set_in_orthotrac(acworth, a)
    url = f"/cards/connect/{emma.public_id}/"
    before = _state()
    asked = frontdesk_client.post(url, {"card_number": b, "confirm_card_number": b})
    assert asked.status_code == 409
    page = asked.content.decode()
    for line in (
        f"…{a[-4:]} stays this patient's username: the link with Orthotrac does not change.",
        f"Card …{a[-4:]} is retired as a card (set in Orthotrac, never connected)",
        f"The temporary portal password printed with card …{a[-4:]} stops working",
        f'<input type="hidden" name="retire_set_card" value="{a[-4:]}">',
        f"Connect …{b[-4:]} and retire …{a[-4:]}</button>",
        f'value="{b}"',  # the typed number stays for the confirmation
    ):
        assert line in page
    assert _state() == before
    # A confirmation of another card than the one set changes nothing either.
    stale = {"card_number": b, "confirm_card_number": b, "retire_set_card": "0000"}
    assert frontdesk_client.post(url, stale).status_code == 409
    assert _state() == before

    confirmed = frontdesk_client.post(
        url, {"card_number": b, "confirm_card_number": b, "retire_set_card": a[-4:]}
    )
    assert confirmed.status_code == 302
    emma.refresh_from_db()
    assert emma.username == a
    new, old = Card.objects.get(number=b), Card.objects.get(number=a)
    assert (new.state, new.profile_id) == (CardState.ACTIVE, emma.pk)
    assert (old.state, old.profile_id, old.retire_reason) == (
        CardState.RETIRED, emma.pk, SET_CARD_RETIRED,
    )
    assert old.temp_password_hash == "" and old.replaced_by_id == new.pk
    event = AuditEvent.objects.get(action="card.connect", profile=emma)
    assert event.detail == {"card_last4": b[-4:], "retired_set_card_last4": a[-4:]}
    profile_page = frontdesk_client.get(f"/patients/{emma.public_id}/").content.decode()
    assert SWIPE_NOW not in profile_page
    assert f"card …{a[-4:]}" in profile_page
    assert "(set in orthotrac, never connected)" in profile_page
    # Nobody else may have it: its number is Emma's username for life.
    liam = create_profile(
        practice=acworth, data={"first_name": "Liam", "last_name": "Smith"}, actor=SYSTEM
    )
    refused = frontdesk_client.post(
        f"/cards/connect/{liam.public_id}/", {"card_number": a, "confirm_card_number": a}
    )
    assert refused.status_code == 409


def test_the_portal_tells_the_patient_to_use_the_new_card(
    acworth: Practice, frontdesk_client: Client
) -> None:
    set_card, other = issue_batch(practice=acworth, count=2, actor=SYSTEM)
    emma = set_in_orthotrac(acworth, set_card.number)
    frontdesk_client.post(
        f"/cards/connect/{emma.public_id}/",
        {"card_number": f";{other.number}=9912?", "retire_set_card": set_card.number[-4:]},
    )
    portal = Client()
    tried = portal.post(
        "/portal/login/", {"identifier": set_card.number, "password": set_card.temp_password}
    )
    assert tried.status_code == 409
    assert tried.context["error"].endswith(
        "before it was ever used and no longer works. "
        "Use your new card and the temporary password printed with it."
    )
    new_card = portal.post(
        "/portal/login/", {"identifier": other.number, "password": other.temp_password}
    )
    assert new_card.status_code == 302
