"""Gifts between members: a pair of ledger entries, the practice's limits, refusals
in words that change nothing, and tenancy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_misc
from rewardshub.points.gifts import give_gift
from rewardshub.points.models import EntryKind, Gift, LedgerEntry
from rewardshub.points.rewards import save_reward_settings
from rewardshub.practices.models import Practice


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    profile = make_profile(acworth, first="Emma", last="Johnson")
    award_misc(
        practice=acworth,
        profile=profile,
        points=300,
        description="Start",
        actor=SYSTEM,
        role="owner",
    )
    profile.refresh_from_db()
    return profile


@pytest.fixture
def liam(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth, first="Liam", last="Johnson")


def gift_url(giver: Profile) -> str:
    return f"/patients/{giver.public_id}/points/gift/"


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    ledger = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == ledger
    return profile.points_balance


def flashes(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


def limits(practice: Practice, most: int, daily: int) -> None:
    save_reward_settings(
        practice=practice,
        held=set(),
        gift_max_points=most,
        gift_daily_max_points=daily,
        actor=SYSTEM,
    )


class TestGiftPage:
    def test_it_finds_the_receiver_by_name_but_not_the_giver(
        self, frontdesk_client: Client, emma: Profile, liam: Profile
    ) -> None:
        page = frontdesk_client.get(gift_url(emma), {"q": "Johnson"}).content.decode()
        assert f"?to={liam.public_id}" in page
        assert f"?to={emma.public_id}" not in page

    def test_it_moves_the_points_as_a_pair_of_entries(
        self, frontdesk_client: Client, emma: Profile, liam: Profile
    ) -> None:
        response = frontdesk_client.post(
            gift_url(emma), {"to": str(liam.public_id), "points": "120", "note": "Headphones"}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/patients/{emma.public_id}/"
        assert flashes(response) == [
            "Gave 120 points from Emma to Liam Johnson. Emma’s new balance: 180."
        ]
        assert (balance(emma), balance(liam)) == (180, 120)
        gift = Gift.objects.get()
        assert (gift.giver, gift.receiver, gift.points, gift.note) == (
            emma,
            liam,
            120,
            "Headphones",
        )
        assert (gift.out_entry.kind, gift.out_entry.points, gift.out_entry.description) == (
            EntryKind.GIFT_OUT,
            -120,
            "Gift to Liam · Headphones",
        )
        assert (gift.in_entry.kind, gift.in_entry.points, gift.in_entry.description) == (
            EntryKind.GIFT_IN,
            120,
            "Gift from Emma · Headphones",
        )
        given = AuditEvent.objects.get(action="points.gift_given")
        received = AuditEvent.objects.get(action="points.gift_received")
        assert (given.profile_id, given.detail["points"], given.detail["balance"]) == (
            emma.pk,
            120,
            180,
        )
        assert (received.profile_id, received.detail["from"]) == (liam.pk, str(emma.public_id))

    def test_it_refuses_a_gift_over_the_practices_limit(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, liam: Profile
    ) -> None:
        limits(acworth, most=100, daily=1000)
        response = frontdesk_client.post(
            gift_url(emma), {"to": str(liam.public_id), "points": "101"}
        )
        assert response.status_code == 422
        assert (
            "A gift is at most 100 points in this practice; 101 is more. Nothing was moved."
            in response.content.decode()
        )
        assert (balance(emma), balance(liam)) == (300, 0)
        assert not Gift.objects.exists()

    def test_it_refuses_more_than_the_daily_limit_of_one_giver(
        self, frontdesk_client: Client, acworth: Practice, emma: Profile, liam: Profile
    ) -> None:
        limits(acworth, most=100, daily=150)
        give_gift(practice=acworth, giver=emma, receiver=liam, points=100, actor=SYSTEM)
        response = frontdesk_client.post(
            gift_url(emma), {"to": str(liam.public_id), "points": "60"}
        )
        assert response.status_code == 409
        assert (
            "Emma may give at most 150 points a day and gave 100 today, so 50 more can be "
            "given until midnight. Nothing was moved." in response.content.decode()
        )
        assert (balance(emma), balance(liam)) == (200, 100)
        # Yesterday's gifts do not count against today.
        Gift.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
        give_gift(practice=acworth, giver=emma, receiver=liam, points=60, actor=SYSTEM)
        assert (balance(emma), balance(liam)) == (140, 160)

    def test_it_refuses_when_the_giver_is_short_of_points(
        self, frontdesk_client: Client, emma: Profile, liam: Profile
    ) -> None:
        response = frontdesk_client.post(gift_url(liam), {"to": str(emma.public_id), "points": "5"})
        assert response.status_code == 409
        assert (
            "Not enough points: Liam has 0 and this gift is 5. Nothing was moved."
            in response.content.decode()
        )
        assert (balance(emma), balance(liam)) == (300, 0)
        assert not Gift.objects.exists()
        assert not AuditEvent.objects.filter(action__startswith="points.gift").exists()

    def test_it_refuses_a_gift_to_the_giver(
        self, acworth: Practice, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = frontdesk_client.post(gift_url(emma), {"to": str(emma.public_id), "points": "5"})
        assert response.status_code == 422
        assert "Choose the member who receives the gift." in response.content.decode()
        assert balance(emma) == 300 and not Gift.objects.exists()

    def test_it_hides_members_of_another_practice(
        self,
        frontdesk_client: Client,
        outsider_client: Client,
        riverside: Practice,
        make_profile: Callable[..., Profile],
        emma: Profile,
        liam: Profile,
    ) -> None:
        rita = make_profile(riverside, first="Rita", last="Rivers")
        # Another practice's member as receiver, and another practice's staff as sender.
        response = frontdesk_client.post(gift_url(emma), {"to": str(rita.public_id), "points": "5"})
        assert response.status_code == 404
        assert outsider_client.get(gift_url(emma)).status_code == 404
        response = outsider_client.post(gift_url(emma), {"to": str(liam.public_id), "points": "5"})
        assert response.status_code == 404
        assert (balance(emma), balance(liam), balance(rita)) == (300, 0, 0)
        assert not Gift.objects.exists()

    def test_it_does_not_reverse_one_side_of_a_gift(
        self, acworth: Practice, frontdesk_client: Client, emma: Profile, liam: Profile
    ) -> None:
        gift = give_gift(practice=acworth, giver=emma, receiver=liam, points=10, actor=SYSTEM)
        response = frontdesk_client.post(
            f"/points/entries/{gift.in_entry.public_id}/reverse/", {"reason": "Oops"}
        )
        assert flashes(response) == [
            "This entry is one side of a gift between members: to undo it, gift the points "
            "back from the member who received them."
        ]
        assert (balance(emma), balance(liam)) == (290, 10)
        # And the profile page offers no reverse button for it.
        page = frontdesk_client.get(f"/patients/{liam.public_id}/").content.decode()
        assert f"/points/entries/{gift.in_entry.public_id}/reverse/" not in page
        assert "Gift received" in page and "Gift from Emma" in page
