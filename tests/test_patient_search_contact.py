"""The "Search patients" box finds a patient by phone number, in any format, and by email."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

PHONE_FORMATS = ("770-555-0101", "(770) 555-0101", "7705550101", "+1 770 555 0101", "770.555.0101")


def search(client: Client, text: str) -> Any:
    response = client.post(reverse("patients:search"), {"q": text})
    assert response.status_code == 200
    return response


def found(response: Any) -> list[str]:
    return sorted(profile.first_name for profile in response.context["rows"])


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def family(acworth: Practice, make_profile: Callable[..., Profile]) -> list[Profile]:
    return [
        make_profile(acworth, "Emma", "Johnson", phone_mobile="(770) 555-0101"),
        make_profile(acworth, "Liam", "Johnson", phone_home="+1 770.555.0101"),
        make_profile(
            acworth, "Mia", "Lopez", phone_mobile="7705550199", email="Mia.Lopez@Example.com"
        ),
    ]


@pytest.mark.parametrize("typed", PHONE_FORMATS)
def test_it_finds_patients_by_phone_number_in_any_format(
    frontdesk_client: Client, family: list[Profile], typed: str
) -> None:
    response = search(frontdesk_client, typed)
    assert found(response) == ["Emma", "Liam"]  # mobile and home numbers alike
    text = page(response)
    assert f"2 patients match “{typed}”." in text
    assert "A card number has 16 digits" not in text


def test_a_phone_number_nobody_has_is_said_plainly(
    frontdesk_client: Client, family: list[Profile]
) -> None:
    text = page(search(frontdesk_client, "770-555-0142"))
    assert "No patient has the phone number “770-555-0142”." in text
    assert "A card number has 16 digits, but" not in text


def test_a_short_number_is_still_read_as_a_card_number(
    frontdesk_client: Client, family: list[Profile]
) -> None:
    text = page(search(frontdesk_client, "1234 5678"))
    assert "A card number has 16 digits, but 8 were entered." in text


def test_it_finds_a_patient_by_email_whatever_the_case(
    frontdesk_client: Client, family: list[Profile]
) -> None:
    for typed in ("mia.lopez@example.com", "MIA.LOPEZ@EXAMPLE.COM", "mia.lopez@"):
        response = search(frontdesk_client, typed)
        assert found(response) == ["Mia"], typed
        assert f"1 patient matches “{typed}”." in page(response)
    text = page(search(frontdesk_client, "nobody@example.com"))
    assert "No patient's email holds “nobody@example.com”." in text


def test_phone_and_email_search_stay_inside_the_practice(
    frontdesk_client: Client,
    family: list[Profile],
    riverside: Practice,
    make_profile: Callable[..., Profile],
) -> None:
    make_profile(
        riverside, "Rita", "River", phone_mobile="770-555-0101", email="mia.lopez@example.com"
    )
    assert found(search(frontdesk_client, "770-555-0101")) == ["Emma", "Liam"]
    assert found(search(frontdesk_client, "mia.lopez@example.com")) == ["Mia"]
