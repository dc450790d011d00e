"""The seed's card workflow in a real browser: swipe to a profile, Connect Card, Replace Card."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from rewardshub.audit.actors import Actor
from rewardshub.cards.models import Card, CardState
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
SYSTEM = Actor.system("tests")


def swipe(number: str) -> str:
    return f";{number}=9912?"


def rgb(locator: Locator) -> tuple[int, int, int]:
    colour = locator.evaluate("element => getComputedStyle(element).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    return red, green, blue


def assert_orange(locator: Locator) -> None:
    red, green, blue = rgb(locator)
    assert red > 200 and blue < 80 and red > green > blue, (red, green, blue)


def assert_blue(locator: Locator) -> None:
    red, green, blue = rgb(locator)
    assert blue > 180 and red < 100 and blue > green, (red, green, blue)


def search(page: Page, text: str) -> None:
    box = page.get_by_label("Search patients")
    box.fill(text)
    box.press("Enter")


def swipe_into_card_field(page: Page, number: str) -> None:
    field = page.get_by_label("Card number", exact=True)
    field.press_sequentially(swipe(number))
    field.press("Enter")


@pytest.fixture
def cards(acworth: Practice, issue_cards: Callable[..., list[str]]) -> list[str]:
    return issue_cards(acworth, 4)


@pytest.fixture
def new_patient(acworth: Practice, cards: list[str]) -> Profile:
    """As Orthotrac's "Set Patient Rewards Hub Card #" leaves it: named by a card, not connected."""
    return create_profile(
        practice=acworth,
        data={"first_name": "Mia", "last_name": "Lopez"},
        actor=SYSTEM,
        username=cards[0],
    )


def test_it_connects_then_replaces_a_card_from_a_swipe(
    sign_in: Callable[[str, str], Page],
    frontdesk: Any,
    acworth: Practice,
    new_patient: Profile,
    cards: list[str],
) -> None:
    page = sign_in("frontdesk", PASSWORD)

    # A swipe in "Search patients" goes straight to the profile.
    search(page, swipe(cards[0]))
    page.wait_for_url(f"**/patients/{new_patient.public_id}/")
    expect(page.get_by_role("heading", name="Mia Lopez")).to_be_visible()
    expect(page.get_by_text(new_patient.username, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Copy username")).to_be_visible()

    # No card yet: the orange Connect Card button.
    connect = page.get_by_role("button", name="Connect Card", exact=True)
    expect(connect).to_be_visible()
    assert_orange(connect)
    expect(page.get_by_role("button", name="Replace Card")).to_have_count(0)

    # Connect: the reader types the stripe and Enter, which submits the form.
    connect.click()
    expect(page.locator("#confirm-card")).to_be_visible()
    swipe_into_card_field(page, cards[0])
    page.wait_for_url(f"**/patients/{new_patient.public_id}/")
    expect(page.get_by_text(f"Card …{cards[0][-4:]} is connected.")).to_be_visible()
    replace = page.get_by_role("button", name="Replace Card", exact=True)
    expect(replace).to_be_visible()
    assert_blue(replace)
    expect(page.get_by_role("button", name="Connect Card")).to_have_count(0)

    # Replace with another card: the first is retired for good.
    replace.click()
    swipe_into_card_field(page, cards[1])
    page.wait_for_url(f"**/patients/{new_patient.public_id}/")
    expect(page.get_by_text(f"Card …{cards[0][-4:]} was retired")).to_be_visible()
    expect(page.locator(".card-history")).to_contain_text(f"card …{cards[0][-4:]}")
    assert Card.objects.get(number=cards[0]).state == CardState.RETIRED
    assert Card.objects.get(number=cards[1]).profile_id == new_patient.pk

    # Searching by a swipe of the retired card says it was replaced.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    search(page, swipe(cards[0]))
    expect(page.get_by_role("alert")).to_contain_text("This card was replaced on")
    expect(page.get_by_role("alert")).to_contain_text("and no longer works")
    expect(page.get_by_role("link", name="Mia Lopez")).to_be_visible()


def test_it_refuses_the_retired_number_typed_on_another_patient(
    sign_in: Callable[[str, str], Page],
    frontdesk: Any,
    acworth: Practice,
    new_patient: Profile,
    make_profile: Callable[..., Profile],
    cards: list[str],
) -> None:
    from rewardshub.cards.actions import connect_card, replace_card

    connect_card(practice=acworth, profile=new_patient, raw=cards[0], actor=SYSTEM)
    replace_card(practice=acworth, profile=new_patient, raw=cards[1], actor=SYSTEM)
    other = make_profile(acworth, "Ava", "Brown")
    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{other.public_id}/")
    page.get_by_role("button", name="Connect Card", exact=True).click()

    # Typed numbers need the confirm field; a mismatch is refused first.
    page.get_by_label("Card number", exact=True).fill(cards[0])
    page.get_by_label("Confirm card number").fill(cards[2])
    page.get_by_role("button", name="Connect Card", exact=True).click()
    expect(page.get_by_text("The two numbers do not match.")).to_be_visible()

    page.get_by_label("Card number", exact=True).fill(cards[0])
    page.get_by_label("Confirm card number").fill(cards[0])
    page.get_by_role("button", name="Connect Card", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This card was replaced on")
    assert not Card.objects.filter(profile=other).exists()


def test_it_moves_on_to_the_names_after_a_swipe_on_add_member(
    sign_in: Callable[[str, str], Page], frontdesk: Any, acworth: Practice, cards: list[str]
) -> None:
    page = sign_in("frontdesk", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add member").click()
    swipe_into_card_field(page, cards[2])
    # The reader's Enter did not submit the half-filled form.
    expect(page.locator("#confirm-card")).to_be_hidden()
    expect(page.get_by_label("First name")).to_be_focused()
    page.get_by_label("First name").fill("Liam")
    page.get_by_label("Last name").fill("Carter")
    page.get_by_label("Location").select_option(label="Acworth")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text(f"Liam Carter was added with card …{cards[2][-4:]}.")).to_be_visible()
    expect(page.get_by_role("button", name="Replace Card", exact=True)).to_be_visible()
    assert Profile.objects.get(last_name="Carter").username == cards[2]


def test_it_saves_the_status_and_location_tags_as_soon_as_they_are_picked(
    sign_in: Callable[[str, str], Page],
    frontdesk: Any,
    acworth: Practice,
    make_profile: Callable[..., Profile],
) -> None:
    patient = make_profile(acworth, "Ava", "Brown")
    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{patient.public_id}/")
    expect(page.get_by_text("This patient has no Status tag.")).to_be_visible()
    expect(page.get_by_text("This patient has no Location tag.")).to_be_visible()

    page.get_by_label("Status", exact=True).select_option(label="*Orthodontic Patient")
    expect(page.get_by_text("Status set to *Orthodontic Patient.")).to_be_visible()
    page.get_by_label("Location", exact=True).select_option(label="*Acworth")
    expect(page.get_by_text("Location set to *Acworth.")).to_be_visible()
    expect(page.locator(".missing-tag")).to_have_count(0)
    assert set(patient.tags.values_list("name", flat=True)) == {"*Orthodontic Patient", "*Acworth"}
