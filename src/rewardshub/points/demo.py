"""The demo's reward menu and a little points history (called by rewardshub/demo.py).

Idempotent: menu items a practice lacks (by name) are added, and the items
the demo no longer offers are switched off; nothing else is touched. The
history is given only to a practice with no awards yet, so a second run of
`rewardshub demo` changes nothing.

The menu has no "Birthday" or "Referral" item: the demo's automatic rules
pay birthdays (automations/demo.py), and a manual item beside them would pay
twice.
"""

from __future__ import annotations

from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items
from rewardshub.points.menu_actions import ITEM_FIELDS, create_category, create_item, update_item
from rewardshub.points.models import EntryKind, LedgerEntry, RewardCategory, RewardItem
from rewardshub.practices.models import Practice

# Category -> (name, points, repeat window in days or None).
DEMO_MENU: dict[str, tuple[tuple[str, int, int | None], ...]] = {
    "At every visit": (
        ("On time", 3, None),
        ("Good oral hygiene", 3, None),
        ("Wearing elastics", 5, None),
        ("Nothing loose or broken", 3, None),
        ("Brushing chart", 5, None),
    ),
    # A check-in, not a review: Google forbids any incentive for a review
    # (points/review_policy.py).
    "Going the extra mile": (("Social media check-in", 10, 30),),
}
# Items earlier demos had, switched off where present: the automatic rules pay
# birthdays and referrals, and a review must not be paid for.
RETIRED_ITEMS = ("Birthday", "Referral that starts treatment", "Online review")

# (first name, last name) -> visits, each a list of item names given together.
DEMO_HISTORY: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("Emma", "Johnson"): (
        ("On time", "Good oral hygiene", "Wearing elastics"),
        ("On time", "Brushing chart"),
    ),
    ("Olivia", "Chen"): (("On time", "Nothing loose or broken"), ("Social media check-in",)),
    ("Ethan", "Williams"): (("On time", "Wearing elastics"),),
    ("Lucas", "Greene"): (("On time", "Good oral hygiene"),),
}


def ensure_menu(practice: Practice, actor: Actor) -> None:
    for position, (category_name, items) in enumerate(DEMO_MENU.items()):
        category = RewardCategory.objects.filter(practice=practice, name=category_name).first()
        if category is None:
            category = create_category(
                practice=practice, name=category_name, position=position, actor=actor
            )
        have = set(RewardItem.objects.filter(practice=practice).values_list("name", flat=True))
        for item_position, (name, points, window) in enumerate(items):
            if name in have:
                continue
            data = {
                "category": category,
                "name": name,
                "points": points,
                "position": item_position,
                "repeat_window_days": window,
                "auto_tag": None,
                "active": True,
            }
            create_item(practice=practice, data=data, actor=actor)
    retire_items(practice, actor)


def retire_items(practice: Practice, actor: Actor) -> None:
    """Switch off the manual items the automatic rules replace (a demo loaded before)."""
    for item in RewardItem.objects.filter(practice=practice, name__in=RETIRED_ITEMS, active=True):
        data = {name: getattr(item, name) for name in ITEM_FIELDS}
        update_item(practice=practice, item=item, data={**data, "active": False}, actor=actor)


def ensure_history(practice: Practice, actor: Actor) -> None:
    if LedgerEntry.objects.filter(practice=practice, kind=EntryKind.AWARD).exists():
        return
    menu = {item.name: item for item in RewardItem.objects.filter(practice=practice)}
    for (first, last), visits in DEMO_HISTORY.items():
        profile = Profile.objects.filter(
            practice=practice, first_name=first, last_name=last
        ).first()
        if profile is None:
            continue
        for visit in visits:
            award_items(
                practice=practice,
                profile=profile,
                items=[menu[name] for name in visit],
                actor=actor,
                location=profile.location,
            )


def ensure_demo_points(practice: Practice, actor: Actor) -> None:
    ensure_menu(practice, actor)
    ensure_history(practice, actor)
