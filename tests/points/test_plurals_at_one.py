"""Counts of one read "1 point", "1 day", "1 card"; a tag picker reads "an Interests tag"."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from tests.conftest import SYSTEM

from rewardshub.audit.wording import describe_action
from rewardshub.patients.models import Profile, Tag, TagGroup, TagGroupKind
from rewardshub.points.actions import award_misc
from rewardshub.points.models import Prize, PrizeOrder, RewardCategory, RewardItem
from rewardshub.practices.models import Practice, Role
from rewardshub.wording import a_or_an, count_of

MENU = "/settings/reward-menu/"


def flashes(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text_of(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    profile = make_profile(acworth)
    award_misc(
        practice=acworth, profile=profile, points=2, description="start", actor=SYSTEM,
        role=Role.OWNER,
    )
    profile.refresh_from_db()
    return profile


def test_ordering_and_cancelling_a_one_point_prize_says_1_point(
    frontdesk_client: Client, acworth: Practice, emma: Profile
) -> None:
    prize = Prize.objects.create(practice=acworth, name="Sticker", cost=1)
    page = text_of(frontdesk_client.get(f"/orders/for/{emma.public_id}/"))
    assert "Order for 1 point" in page and "1 points" not in page
    response = frontdesk_client.post(f"/orders/for/{emma.public_id}/{prize.public_id}/")
    assert flashes(response) == [
        "Ordered “Sticker” for Emma: 1 point. New balance: 1 point. "
        "The order is on the Orders page as to do."
    ]
    order = PrizeOrder.objects.get(profile=emma)
    response = frontdesk_client.post(f"/orders/{order.public_id}/cancel/", {"reason": "Swap"})
    cancelled = "The order of “Sticker” is cancelled; 1 point went back to Emma."
    assert flashes(response)[-1] == cancelled


def test_the_reward_menu_says_1_day_and_1_point_and_labels_the_category_fields(
    owner_client: Client, acworth: Practice
) -> None:
    visit = RewardCategory.objects.create(practice=acworth, name="At the visit")
    RewardItem.objects.create(
        practice=acworth, category=visit, name="Review", points=1, repeat_window_days=1
    )
    page = text_of(owner_client.get(MENU))
    assert "1 day<" in page and "1 days" not in page
    # The category's name and order fields carry visible labels, not screen-reader ones only.
    for field in ("cat", "catpos"):
        label = page.split(f'<label for="{field}-{visit.public_id}"')[1].split("</label>")[0]
        visible = label.split('<span class="sr-only">')[0]
        assert 'class="sr-only"' not in label.split(">")[0]
        assert visible.strip("> ") in {"Category", "Order"}
    response = owner_client.post(
        f"{MENU}items/add/",
        {"category": str(visit.public_id), "name": "On time", "points": "1", "active": "on"},
    )
    assert flashes(response) == ["“On time” (1 point) added to the menu."]


def test_the_tag_picker_reads_an_interests_tag(
    frontdesk_client: Client, acworth: Practice, emma: Profile
) -> None:
    for name in ("Interests", "Marketing"):
        group = TagGroup.objects.create(practice=acworth, name=name, kind=TagGroupKind.CUSTOM)
        Tag.objects.create(practice=acworth, group=group, name=f"{name} one", position=0)
    page = text_of(
        frontdesk_client.get(reverse("patients:tags", kwargs={"public_id": emma.public_id}))
    )
    assert "Add an Interests tag" in page and "Add a Interests tag" not in page
    assert "Add a Marketing tag" in page


def test_a_batch_of_one_card_is_1_card_in_the_audit_log() -> None:
    assert describe_action("cards.issue", "ok", {"count": 1}) == "Issued a batch of 1 card"
    assert describe_action("cards.import", "ok", {"count": 2}) == "Imported a batch of 2 cards"
    assert describe_action("menu.item_create", "ok", {"name": "On time", "points": 1}) == (
        "Added reward “On time” (1 point)"
    )


def test_count_of_and_the_article() -> None:
    assert [count_of(n, "point") for n in (1, -1, 0, 2, 1200)] == [
        "1 point", "-1 point", "0 points", "2 points", "1,200 points",
    ]
    assert count_of(1, "batch", "batches") == "1 batch" and count_of(3, "batch", "batches") == (
        "3 batches"
    )
    assert [a_or_an(w) for w in ("Interests", "Marketing", "office", "")] == ["an", "a", "an", "a"]


def test_a_prize_one_point_away_needs_1_more_point(
    frontdesk_client: Client, acworth: Practice, emma: Profile
) -> None:
    Prize.objects.create(practice=acworth, name="Pencil", cost=3)
    page = text_of(frontdesk_client.get(f"/orders/for/{emma.public_id}/"))
    assert "Needs 1 more point" in page and "1 more points" not in page
