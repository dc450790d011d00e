"""Settings > Reward menu: owners and admins manage categories and items; audited."""

from __future__ import annotations

from typing import Any

from django.test import Client
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.patients.tag_actions import create_tag, create_tag_group
from rewardshub.points.models import RewardCategory, RewardItem
from rewardshub.practices.models import Practice

MENU = "/settings/reward-menu/"
CATEGORY_ADD = f"{MENU}categories/add/"
ITEM_ADD = f"{MENU}items/add/"


def item_url(item: RewardItem) -> str:
    return f"{MENU}items/{item.public_id}/"


def category_url(category: RewardCategory) -> str:
    return f"{MENU}categories/{category.public_id}/"


def item_data(category: RewardCategory, **changes: Any) -> dict[str, Any]:
    data = {
        "category": str(category.public_id),
        "name": "Brushing chart",
        "points": "5",
        "position": "",
        "repeat_window_days": "",
        "auto_tag": "",
        "active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


class TestMenuPage:
    def test_it_lists_categories_and_items(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        page = owner_client.get(MENU).content.decode()
        assert "At the visit" in page
        assert "Patient survey" in page and "365 days" in page
        assert 'aria-current="page">Reward menu<' in page

    def test_it_is_for_owners_and_admins_only(
        self, frontdesk_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        assert frontdesk_client.get(MENU).status_code == 403
        response = frontdesk_client.post(CATEGORY_ADD, {"name": "Sneaky"})
        assert response.status_code == 403
        assert not RewardCategory.objects.filter(name="Sneaky").exists()
        item = menu["on_time"]
        response = frontdesk_client.post(item_url(item), item_data(item.category, points="99"))
        assert response.status_code == 403
        item.refresh_from_db()
        assert item.points == 3


class TestCategories:
    def test_it_adds_a_category(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post(CATEGORY_ADD, {"name": "  Special   events ", "position": "2"})
        assert response.status_code == 302
        category = RewardCategory.objects.get(practice=acworth)
        assert (category.name, category.position) == ("Special events", 2)
        event = AuditEvent.objects.get(action="menu.category_create")
        assert event.detail == {"name": "Special events"}
        assert event.actor_label == "owner"

    def test_it_refuses_a_duplicate_name(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        response = owner_client.post(CATEGORY_ADD, {"name": "at the visit"})
        assert response.status_code == 409
        assert (
            "There is already a category named “at the visit”. Pick another name."
            in response.content.decode()
        )
        assert RewardCategory.objects.count() == 1
        assert not AuditEvent.objects.filter(action="menu.category_create").exists()

    def test_it_refuses_an_empty_name(self, owner_client: Client, acworth: Practice) -> None:
        response = owner_client.post(CATEGORY_ADD, {"name": "   "})
        assert response.status_code == 422
        assert "Enter a category name." in response.content.decode()
        assert not RewardCategory.objects.exists()

    def test_it_renames_and_reorders(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        category = menu["on_time"].category
        response = owner_client.post(
            category_url(category), {"name": "Every visit", "position": "5"}
        )
        assert response.status_code == 302
        category.refresh_from_db()
        assert (category.name, category.position) == ("Every visit", 5)
        event = AuditEvent.objects.get(action="menu.category_update")
        assert event.detail["from"] == "At the visit"

    def test_it_hides_another_practices_category(
        self, outsider_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        category = menu["on_time"].category
        response = outsider_client.post(category_url(category), {"name": "Mine now"})
        assert response.status_code == 404
        category.refresh_from_db()
        assert category.name == "At the visit"


class TestItems:
    def test_it_adds_an_item_with_a_repeat_window_and_tag(
        self, owner_client: Client, acworth: Practice, menu: dict[str, RewardItem]
    ) -> None:
        category = menu["on_time"].category
        group = create_tag_group(practice=acworth, name="Marketing", actor=SYSTEM)
        tag = create_tag(practice=acworth, group=group, name="Reviewer", actor=SYSTEM)
        data = item_data(
            category,
            name="Birthday",
            points="10",
            repeat_window_days="300",
            auto_tag=str(tag.public_id),
        )
        response = owner_client.post(ITEM_ADD, data)
        assert response.status_code == 302
        item = RewardItem.objects.get(practice=acworth, name="Birthday")
        assert (item.points, item.repeat_window_days, item.auto_tag, item.active) == (
            10,
            300,
            tag,
            True,
        )
        assert AuditEvent.objects.get(action="menu.item_create").detail == {
            "name": "Birthday",
            "points": 10,
            "category": "At the visit",
        }

    def test_it_refuses_zero_points(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        response = owner_client.post(ITEM_ADD, item_data(menu["on_time"].category, points="0"))
        assert response.status_code == 422
        assert "A reward gives at least 1 point." in response.content.decode()
        assert not RewardItem.objects.filter(name="Brushing chart").exists()

    def test_it_refuses_a_duplicate_item_name(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        response = owner_client.post(ITEM_ADD, item_data(menu["on_time"].category, name="ON TIME"))
        assert response.status_code == 409
        assert "There is already a reward named “ON TIME” on the menu" in response.content.decode()
        assert RewardItem.objects.count() == 4

    def test_it_refuses_another_practices_category(
        self,
        owner_client: Client,
        riverside: Practice,
        menu: dict[str, RewardItem],
    ) -> None:
        theirs = RewardCategory.objects.create(practice=riverside, name="Theirs")
        response = owner_client.post(ITEM_ADD, item_data(theirs))
        assert response.status_code == 422
        assert "Choose one of the categories in the list." in response.content.decode()
        assert not RewardItem.objects.filter(name="Brushing chart").exists()

    def test_it_edits_and_deactivates_an_item(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        item = menu["elastics"]
        assert "Wearing elastics" in owner_client.get(item_url(item)).content.decode()
        data = item_data(item.category, name="Wearing elastics", points="6", active=None)
        response = owner_client.post(item_url(item), data)
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.points, item.active) == (6, False)
        event = AuditEvent.objects.get(action="menu.item_update")
        assert event.detail["fields"] == ["points", "active"]

    def test_it_says_when_nothing_changed(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        item = menu["on_time"]
        data = item_data(item.category, name="On time", points="3")
        response = owner_client.post(item_url(item), data, follow=True)
        assert "Nothing changed." in response.content.decode()
        assert not AuditEvent.objects.filter(action="menu.item_update").exists()

    def test_it_hides_another_practices_item(
        self, outsider_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        item = menu["on_time"]
        assert outsider_client.get(item_url(item)).status_code == 404
        response = outsider_client.post(item_url(item), item_data(item.category, points="99"))
        assert response.status_code == 404
        item.refresh_from_db()
        assert item.points == 3


class TestRewardsForReviews:
    """Google forbids any incentive for a review: the editor warns, the practice decides."""

    WARNING = "Google's policy forbids any incentive for a review"

    def test_it_warns_when_an_added_item_pays_for_a_review(
        self, owner_client: Client, acworth: Practice, menu: dict[str, RewardItem]
    ) -> None:
        data = item_data(menu["on_time"].category, name="Google review", points="100")
        response = owner_client.post(ITEM_ADD, data, follow=True)
        page = response.content.decode()
        assert "“Google review” (100 points) added to the menu." in page
        assert f"“Google review”: This reward looks like it pays for a review. {self.WARNING}" in (
            page.replace("&#x27;", "'")
        )
        assert RewardItem.objects.filter(practice=acworth, name="Google review").exists()
        item = RewardItem.objects.get(practice=acworth, name="Google review")
        assert self.WARNING in owner_client.get(item_url(item)).content.decode().replace(
            "&#x27;", "'"
        )

    def test_it_warns_on_the_menu_beside_the_item_only(
        self, owner_client: Client, acworth: Practice, menu: dict[str, RewardItem]
    ) -> None:
        category = menu["on_time"].category
        RewardItem.objects.create(
            practice=acworth, category=category, name="Yelp 5 stars", points=50
        )
        page = owner_client.get(MENU).content.decode().replace("&#x27;", "'")
        assert page.count(self.WARNING) == 1
        row = page[page.index("Yelp 5 stars") :]
        assert row.index(self.WARNING) < row.index("</tr>")

    def test_it_does_not_warn_for_a_check_in_or_a_survey(
        self, owner_client: Client, menu: dict[str, RewardItem]
    ) -> None:
        data = item_data(menu["on_time"].category, name="Social media check-in", points="10")
        page = owner_client.post(ITEM_ADD, data, follow=True).content.decode()
        assert "Social media check-in" in page
        assert self.WARNING not in page.replace("&#x27;", "'")
