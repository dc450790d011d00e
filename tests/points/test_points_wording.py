"""Points and reward-menu events in words (the audit log and a profile's Recent activity)."""

from __future__ import annotations

from typing import Any

import pytest

from rewardshub.audit.wording import describe_action


@pytest.mark.parametrize(
    ("action", "detail", "words"),
    [
        (
            "points.award",
            {"items": ["On time", "Wearing elastics"], "points": 8, "balance": 8},
            "Awarded 8 points: On time, Wearing elastics",
        ),
        ("points.misc", {"points": 1, "balance": 1}, "Gave 1 point (misc)"),
        (
            "points.misc_requested",
            {"points": 20},
            "Asked for 20 points (misc, waiting for approval)",
        ),
        ("points.misc_approved", {"points": 20}, "Approved 20 points (misc)"),
        ("points.misc_voided", {"points": 20}, "Voided 20 points (misc)"),
        ("points.reverse", {"points": -5, "balance": 3}, "Reversed an entry (-5 points)"),
        (
            "menu.item_create",
            {"name": "Birthday", "points": 10},
            "Added reward “Birthday” (10 points)",
        ),
        (
            "menu.item_update",
            {"name": "On time", "fields": ["points", "repeat_window_days"]},
            "Changed reward “On time”: points, repeat window days",
        ),
        ("menu.category_create", {"name": "Specials"}, "Added reward category “Specials”"),
        (
            "pms.points",
            {"chart_id": "OT-1", "outcome": "awarded", "error": ""},
            "PMS points for chart OT-1: awarded",
        ),
    ],
)
def test_it_puts_each_points_event_in_words(
    action: str, detail: dict[str, Any], words: str
) -> None:
    assert describe_action(action, "ok", detail) == words
