"""The demo's reward menu and points history, and that a second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from rewardshub.demo import load_demo
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem

HUB = "http://127.0.0.1:8000"


def test_it_loads_the_orthodontic_menu_and_some_history_once(db: Any) -> None:
    load_demo(HUB)
    menu = {
        item.name: (item.points, item.repeat_window_days, item.category.name)
        for item in RewardItem.objects.filter(practice__slug="acworth").select_related("category")
    }
    assert menu == {
        "On time": (3, None, "At every visit"),
        "Good oral hygiene": (3, None, "At every visit"),
        "Wearing elastics": (5, None, "At every visit"),
        "Nothing loose or broken": (3, None, "At every visit"),
        "Brushing chart": (5, None, "At every visit"),
        "Referral that starts treatment": (50, None, "Going the extra mile"),
        "Online review": (150, 365, "Going the extra mile"),
        "Birthday": (10, 300, "Going the extra mile"),
    }
    assert RewardItem.objects.filter(practice__slug="riverside").count() == 8
    balances = dict(
        Profile.objects.filter(practice__slug="acworth").values_list("first_name", "points_balance")
    )
    assert (balances["Emma"], balances["Olivia"], balances["Ethan"]) == (29, 156, 53)
    entries = LedgerEntry.objects.count()
    total = LedgerEntry.objects.aggregate(s=Sum("points"))["s"]
    assert total == sum(Profile.objects.values_list("points_balance", flat=True))

    load_demo(HUB)
    assert LedgerEntry.objects.count() == entries
    assert RewardItem.objects.count() == 16
