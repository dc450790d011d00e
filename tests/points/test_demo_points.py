"""The demo's reward menu and points history, and that a second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoRule
from rewardshub.demo import load_demo
from rewardshub.patients.models import Profile
from rewardshub.points.demo import RETIRED_ITEMS
from rewardshub.points.models import LedgerEntry, RewardCategory, RewardItem
from rewardshub.practices.models import Practice

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
        "Social media check-in": (10, 30, "Going the extra mile"),
    }
    assert RewardItem.objects.filter(practice__slug="riverside").count() == 6
    balances = dict(
        Profile.objects.filter(practice__slug="acworth").values_list("first_name", "points_balance")
    )
    assert (balances["Emma"], balances["Olivia"], balances["Ethan"]) == (19, 16, 8)
    entries = LedgerEntry.objects.count()
    total = LedgerEntry.objects.aggregate(s=Sum("points"))["s"]
    assert total == sum(Profile.objects.values_list("points_balance", flat=True))

    load_demo(HUB)
    assert LedgerEntry.objects.count() == entries
    assert RewardItem.objects.count() == 12


def test_it_pays_birthdays_and_visits_by_rule_instead_of_by_menu(db: Any) -> None:
    """The automatic rules replace the manual Birthday and Referral items, which would
    pay twice beside them, nor one that pays for a review; a demo loaded before
    has them switched off."""
    load_demo(HUB)
    rules = {
        (rule.practice.slug, rule.trigger): rule
        for rule in AutoRule.objects.filter(enabled=True).select_related("practice")
    }
    assert sorted(rules) == [
        ("acworth", "birthday"),
        ("acworth", "kept"),
        ("acworth", "next_booked"),
        ("acworth", "on_time"),
        ("acworth", "referral"),
        ("riverside", "birthday"),
    ]
    assert rules["acworth", "kept"].points == 5
    assert (rules["acworth", "on_time"].points, rules["acworth", "on_time"].grace_minutes) == (3, 5)
    next_booked = rules["acworth", "next_booked"]
    assert (next_booked.points, next_booked.window_hours) == (5, 24)
    assert rules["acworth", "birthday"].points == rules["riverside", "birthday"].points == 10

    # A demo database from before, with the manual items active.
    acworth = Practice.objects.get(slug="acworth")
    category = RewardCategory.objects.get(practice=acworth, name="Going the extra mile")
    for name in RETIRED_ITEMS:
        RewardItem.objects.create(practice=acworth, category=category, name=name, points=10)
    load_demo(HUB)
    assert not RewardItem.objects.filter(name__in=RETIRED_ITEMS, active=True).exists()
    ours = AuditEvent.objects.filter(action__in=["automations.rule", "menu.item_update"])
    events = ours.count()
    load_demo(HUB)
    # The rules once, each retired item switched off once.
    assert ours.count() == events == len(rules) + len(RETIRED_ITEMS)
