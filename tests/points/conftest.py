"""Fixtures for the points tests: a small reward menu and a prize catalog."""

from __future__ import annotations

import pytest

from rewardshub.points.models import Prize, RewardCategory, RewardItem
from rewardshub.practices.models import Practice


@pytest.fixture
def menu(acworth: Practice) -> dict[str, RewardItem]:
    visit = RewardCategory.objects.create(practice=acworth, name="At the visit")
    items = {
        "on_time": RewardItem(practice=acworth, category=visit, name="On time", points=3),
        "hygiene": RewardItem(practice=acworth, category=visit, name="Good oral hygiene", points=3),
        "elastics": RewardItem(practice=acworth, category=visit, name="Wearing elastics", points=5),
        "survey": RewardItem(
            practice=acworth,
            category=visit,
            name="Patient survey",
            points=150,
            repeat_window_days=365,
        ),
    }
    for item in items.values():
        item.save()
    return items


@pytest.fixture
def prizes(acworth: Practice) -> dict[str, Prize]:
    return {
        "sticker": Prize.objects.create(practice=acworth, name="Sticker pack", cost=5),
        "headphones": Prize.objects.create(practice=acworth, name="Headphones", cost=300, stock=1),
    }
