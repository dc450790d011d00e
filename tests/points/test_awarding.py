"""Awarding from the profile page: menu items, misc points and their approval,
reversals, the paginated history, and tenancy."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items
from rewardshub.points.models import EntryKind, LedgerEntry, PendingAward, RewardItem
from rewardshub.practices.models import Practice


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth)


def award_url(profile: Profile) -> str:
    return f"/patients/{profile.public_id}/points/award/"


def misc_url(profile: Profile) -> str:
    return f"/patients/{profile.public_id}/points/misc/"


def reverse_url(entry: LedgerEntry) -> str:
    return f"/points/entries/{entry.public_id}/reverse/"


def decide_url(pending: PendingAward) -> str:
    return f"/points/pending/{pending.public_id}/"


def flashes(response: Any) -> list[str]:
    """The message this response added (earlier unread ones are still queued before it)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


def balance(profile: Profile) -> int:
    profile.refresh_from_db()
    ledger = LedgerEntry.objects.filter(profile=profile).aggregate(s=Sum("points"))["s"] or 0
    assert profile.points_balance == ledger
    return profile.points_balance


def tick(*items: RewardItem, **extra: str) -> dict[str, Any]:
    return {"items": [str(item.public_id) for item in items], **extra}


class TestAward:
    def test_it_awards_ticked_items_and_says_the_new_balance(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        response = frontdesk_client.post(
            award_url(emma), tick(menu["on_time"], menu["elastics"], description="Great visit")
        )
        assert response.status_code == 302
        assert response["Location"] == f"/patients/{emma.public_id}/"
        assert flashes(response) == ["Awarded 8 points. New balance: 8."]
        assert balance(emma) == 8
        entries = LedgerEntry.objects.filter(profile=emma).order_by("id")
        assert [
            (e.reward_item, e.points, e.kind, e.description, e.actor_label) for e in entries
        ] == [
            (menu["on_time"], 3, EntryKind.AWARD, "Great visit", "frontdesk"),
            (menu["elastics"], 5, EntryKind.AWARD, "Great visit", "frontdesk"),
        ]
        assert AuditEvent.objects.get(action="points.award").detail["points"] == 8

    def test_it_shows_the_balance_and_history_on_the_profile(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["elastics"]))
        page = frontdesk_client.get(f"/patients/{emma.public_id}/").content.decode()
        assert '<p class="points">5</p>' in page
        assert "Wearing elastics" in page and "+5" in page
        assert 'name="items"' in page and "Award points" in page

    def test_it_goes_back_to_the_chart_view_with_next(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        target = f"/chart/{emma.public_id}/"
        response = frontdesk_client.post(award_url(emma), tick(menu["on_time"], next=target))
        assert response["Location"] == target
        evil = frontdesk_client.post(
            award_url(emma), tick(menu["hygiene"], next="https://evil.example/")
        )
        assert evil["Location"] == f"/patients/{emma.public_id}/"

    def test_it_counts_a_repeated_tick_once(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        response = frontdesk_client.post(award_url(emma), tick(menu["on_time"], menu["on_time"]))
        assert flashes(response) == ["Awarded 3 points. New balance: 3."]
        assert LedgerEntry.objects.filter(profile=emma).count() == 1

    def test_it_asks_for_at_least_one_item(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        response = frontdesk_client.post(award_url(emma), {"description": "nothing ticked"})
        assert response.status_code == 302
        assert flashes(response) == ["Tick at least one reward to give."]
        assert balance(emma) == 0

    def test_it_refuses_an_inactive_item(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        RewardItem.objects.filter(pk=menu["elastics"].pk).update(active=False)
        response = frontdesk_client.post(award_url(emma), tick(menu["on_time"], menu["elastics"]))
        assert flashes(response) == [
            "One of those rewards is no longer on the menu. Reload the page and tick again."
        ]
        assert balance(emma) == 0

    def test_it_refuses_an_item_inside_its_repeat_window_and_gives_nothing(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        menu: dict[str, RewardItem],
    ) -> None:
        award_items(practice=acworth, profile=emma, items=[menu["survey"]], actor=SYSTEM)
        zone = zoneinfo.ZoneInfo(acworth.time_zone)
        given = timezone.localtime(LedgerEntry.objects.get(profile=emma).created_at, zone)
        response = frontdesk_client.post(award_url(emma), tick(menu["on_time"], menu["survey"]))
        again = given + dt.timedelta(days=365)
        assert flashes(response) == [
            f"“Patient survey” was already given to Emma on {date_format(given, 'N j, Y')}; "
            f"it can be given again from {date_format(again, 'N j, Y')}. Nothing was awarded."
        ]
        assert balance(emma) == 150
        assert LedgerEntry.objects.filter(profile=emma).count() == 1

    def test_it_gives_a_repeat_item_again_once_the_earlier_one_was_reversed(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["survey"]))
        entry = LedgerEntry.objects.get(profile=emma)
        frontdesk_client.post(reverse_url(entry), {"reason": "Wrong patient"})
        response = frontdesk_client.post(award_url(emma), tick(menu["survey"]))
        assert flashes(response) == ["Awarded 150 points. New balance: 150."]
        assert balance(emma) == 150

    def test_it_is_not_for_the_financial_role(
        self, acworth: Practice, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        from rewardshub.practices.actions import add_staff

        user = add_staff(
            practice=acworth,
            username="books",
            password="correct-horse-battery",
            role="financial",
            actor=SYSTEM,
        ).user
        client = Client()
        client.force_login(user)
        assert client.post(award_url(emma), tick(menu["on_time"])).status_code == 403
        assert balance(emma) == 0


class TestMisc:
    def test_it_gives_misc_points_at_once_by_default(
        self, frontdesk_client: Client, emma: Profile
    ) -> None:
        response = frontdesk_client.post(
            misc_url(emma), {"points": "12", "description": "Helped a new patient"}
        )
        assert flashes(response) == ["Awarded 12 points. New balance: 12."]
        entry = LedgerEntry.objects.get(profile=emma)
        assert (entry.kind, entry.points, entry.description) == (
            EntryKind.ADJUST,
            12,
            "Helped a new patient",
        )

    def test_it_requires_a_description(self, frontdesk_client: Client, emma: Profile) -> None:
        response = frontdesk_client.post(misc_url(emma), {"points": "12", "description": "  "})
        assert flashes(response) == ["Say why these points are given."]
        assert balance(emma) == 0

    def test_it_refuses_a_zero_amount(self, frontdesk_client: Client, emma: Profile) -> None:
        response = frontdesk_client.post(misc_url(emma), {"points": "0", "description": "x"})
        assert flashes(response) == ["Misc points must be between 1 and 100,000."]
        assert balance(emma) == 0

    def test_it_waits_for_approval_when_the_practice_asks(
        self, frontdesk_client: Client, owner_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        response = frontdesk_client.post(misc_url(emma), {"points": "20", "description": "Art"})
        assert flashes(response) == [
            "20 points for Emma wait for approval by an owner or admin; "
            "the balance changes once they approve."
        ]
        assert balance(emma) == 0
        pending = PendingAward.objects.get(profile=emma)
        assert pending.decision == PendingAward.Decision.PENDING
        assert "Art" in owner_client.get("/points/pending/").content.decode()
        # Staff cannot decide; owners and admins can.
        assert (
            frontdesk_client.post(decide_url(pending), {"decision": "approve"}).status_code == 403
        )
        response = owner_client.post(decide_url(pending), {"decision": "approve"})
        assert flashes(response) == ["Approved 20 points for Emma Johnson. New balance: 20."]
        assert balance(emma) == 20
        pending.refresh_from_db()
        assert pending.decision == PendingAward.Decision.APPROVED
        assert pending.entry is not None and pending.entry.actor_label == "frontdesk"

    def test_it_voids_a_pending_award_and_cannot_decide_twice(
        self, frontdesk_client: Client, owner_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        frontdesk_client.post(misc_url(emma), {"points": "20", "description": "Art"})
        pending = PendingAward.objects.get(profile=emma)
        response = owner_client.post(
            decide_url(pending), {"decision": "void", "reason": "Asked twice"}
        )
        assert flashes(response) == ["Voided 20 points for Emma Johnson."]
        again = owner_client.post(decide_url(pending), {"decision": "approve"})
        assert flashes(again) == ["This award was already voided."]
        assert balance(emma) == 0
        assert not LedgerEntry.objects.exists()

    def test_it_lets_an_owner_give_misc_points_without_approval(
        self, owner_client: Client, acworth: Practice, emma: Profile
    ) -> None:
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        response = owner_client.post(misc_url(emma), {"points": "7", "description": "Contest"})
        assert flashes(response) == ["Awarded 7 points. New balance: 7."]
        assert not PendingAward.objects.exists()

    def test_it_saves_the_approval_setting_on_the_practice_page(
        self, owner_client: Client, acworth: Practice
    ) -> None:
        data = {
            "name": acworth.name,
            "time_zone": acworth.time_zone,
            "idle_timeout_minutes": str(acworth.idle_timeout_minutes),
            "misc_requires_approval": "on",
        }
        assert owner_client.post("/settings/", data).status_code == 302
        acworth.refresh_from_db()
        assert acworth.misc_requires_approval is True
        event = AuditEvent.objects.get(action="practice.update")
        assert event.detail == {"fields": ["misc_requires_approval"]}


class TestReverse:
    def test_it_reverses_an_entry_and_restores_the_balance(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["on_time"], menu["elastics"]))
        entry = LedgerEntry.objects.get(profile=emma, reward_item=menu["elastics"])
        response = frontdesk_client.post(reverse_url(entry), {"reason": "Not wearing them"})
        assert flashes(response) == ["Reversed 5 points. New balance: 3."]
        assert balance(emma) == 3
        reversal = LedgerEntry.objects.get(reverses=entry)
        assert (reversal.kind, reversal.points, reversal.description) == (
            EntryKind.REVERSAL,
            -5,
            "Not wearing them",
        )
        page = frontdesk_client.get(f"/patients/{emma.public_id}/").content.decode()
        assert "Reversal of Wearing elastics" in page and "Reversed</span>" in page

    def test_it_cannot_reverse_twice(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["elastics"]))
        entry = LedgerEntry.objects.get(profile=emma)
        frontdesk_client.post(reverse_url(entry), {"reason": "Oops"})
        response = frontdesk_client.post(reverse_url(entry), {"reason": "Oops again"})
        assert flashes(response) == ["This entry was already reversed."]
        assert balance(emma) == 0
        assert LedgerEntry.objects.filter(profile=emma).count() == 2

    def test_it_requires_a_reason(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["elastics"]))
        entry = LedgerEntry.objects.get(profile=emma)
        response = frontdesk_client.post(reverse_url(entry), {"reason": " "})
        assert flashes(response) == ["Say why this entry is reversed."]
        assert balance(emma) == 5

    def test_it_cannot_take_back_points_already_spent(
        self, frontdesk_client: Client, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["elastics"]))
        entry = LedgerEntry.objects.get(profile=emma)
        Profile.objects.filter(pk=emma.pk).update(points_balance=0)  # as if spent elsewhere
        response = frontdesk_client.post(reverse_url(entry), {"reason": "Oops"})
        assert flashes(response) == [
            "Not enough points: Emma has 0 and this needs 5. Nothing was changed."
        ]
        assert LedgerEntry.objects.filter(profile=emma).count() == 1


class TestHistory:
    def test_it_pages_the_history_twenty_at_a_time_in_bounded_queries(
        self,
        frontdesk_client: Client,
        acworth: Practice,
        emma: Profile,
        menu: dict[str, RewardItem],
    ) -> None:
        for n in range(45):
            award_items(
                practice=acworth,
                profile=emma,
                items=[menu["on_time"]],
                actor=SYSTEM,
                description=f"visit {n}",
            )
        url = f"/patients/{emma.public_id}/"
        first = frontdesk_client.get(url).content.decode()
        assert "visit 44" in first and "visit 25" in first and "visit 24" not in first
        assert "Page 1 of 3" in first
        with CaptureQueriesContext(connection) as page_two:
            second = frontdesk_client.get(url + "?page=2").content.decode()
        assert "visit 24" in second and "visit 5" in second and "visit 4" not in second
        with CaptureQueriesContext(connection) as page_three:
            frontdesk_client.get(url + "?page=3")
        assert len(page_two) == len(page_three)  # not one query per entry
        assert len(page_two) < 40


class TestTenancy:
    def test_it_hides_another_practices_profiles_and_entries(
        self,
        outsider_client: Client,
        frontdesk_client: Client,
        owner_client: Client,
        acworth: Practice,
        emma: Profile,
        menu: dict[str, RewardItem],
    ) -> None:
        frontdesk_client.post(award_url(emma), tick(menu["elastics"]))
        entry = LedgerEntry.objects.get(profile=emma)
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        frontdesk_client.post(misc_url(emma), {"points": "20", "description": "Art"})
        pending = PendingAward.objects.get(profile=emma)

        assert outsider_client.post(award_url(emma), tick(menu["on_time"])).status_code == 404
        assert (
            outsider_client.post(misc_url(emma), {"points": "5", "description": "x"}).status_code
            == 404
        )
        assert outsider_client.post(reverse_url(entry), {"reason": "mine"}).status_code == 404
        assert outsider_client.post(decide_url(pending), {"decision": "approve"}).status_code == 404
        assert "Art" not in outsider_client.get("/points/pending/").content.decode()
        assert balance(emma) == 5
        assert LedgerEntry.objects.filter(profile=emma).count() == 1
        pending.refresh_from_db()
        assert pending.decision == PendingAward.Decision.PENDING

    def test_it_refuses_another_practices_menu_item(
        self,
        frontdesk_client: Client,
        riverside: Practice,
        emma: Profile,
        menu: dict[str, RewardItem],
    ) -> None:
        from rewardshub.points.models import RewardCategory

        theirs = RewardItem.objects.create(
            practice=riverside,
            category=RewardCategory.objects.create(practice=riverside, name="Visit"),
            name="Theirs",
            points=50,
        )
        response = frontdesk_client.post(award_url(emma), tick(theirs))
        assert flashes(response) == [
            "One of those rewards is no longer on the menu. Reload the page and tick again."
        ]
        assert balance(emma) == 0


class TestChartTab:
    """The same panel in the PMS chart tab, in a session opened by a launch link."""

    def test_it_awards_from_the_chart_view_and_comes_back_to_it(
        self,
        acworth: Practice,
        issue_cards: Callable[[Practice, int], list[str]],
        menu: dict[str, RewardItem],
    ) -> None:
        from tests.integrations.conftest import CHART, EMMA, Api, make_key

        api = Api(client=Client(), token=make_key(acworth)[1])
        assert api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA).status_code == 200
        emma = Profile.objects.get(practice=acworth)
        url = api.launch(CHART, "chart", pms_user="FRONTDESK").json()["url"]
        browser = Client()
        chart = browser.get(url.removeprefix("http://testserver"), follow=True)
        chart_path = f"/chart/{emma.public_id}/"
        assert chart.redirect_chain[-1][0] == chart_path
        page = chart.content.decode()
        assert f'name="next" value="{chart_path}"' in page and "Award points" in page

        response = browser.post(
            award_url(emma), tick(menu["on_time"], menu["elastics"], next=chart_path)
        )
        assert response["Location"] == chart_path
        assert flashes(response) == ["Awarded 8 points. New balance: 8."]
        entry = LedgerEntry.objects.filter(profile=emma).latest("id")
        assert entry.actor_label == "FRONTDESK via Orthotrac"
        page = browser.get(chart_path).content.decode()
        assert "Wearing elastics" in page and ">+5<" in page
        assert balance(emma) == 8

        response = browser.post(reverse_url(entry), {"reason": "Misclick", "next": chart_path})
        assert response["Location"] == chart_path
        assert balance(emma) == 3
