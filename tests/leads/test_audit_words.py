"""Lead and referral events in words for the Audit log (no names: leads are named by id)."""

from __future__ import annotations

from typing import Any

import pytest

from rewardshub.audit.wording import describe_action


@pytest.mark.parametrize(
    ("action", "detail", "words"),
    [
        (
            "lead.create",
            {"lead": "ab", "source": "walk_in", "referred": False},
            "Added a lead (Walk-in)",
        ),
        (
            "lead.create",
            {"lead": "ab", "source": "referral", "referred": True},
            "Added a lead (Referral), referred by this patient",
        ),
        (
            "lead.update",
            {"lead": "ab", "fields": ["last_name"]},
            "Changed a lead's details: last name",
        ),
        (
            "lead.status",
            {"lead": "ab", "from": "new", "to": "consult_booked"},
            "Moved a lead from New to Consult booked",
        ),
        ("lead.convert", {"lead": "ab", "basis": "email"}, "Converted a lead into this patient"),
        ("lead.erase", {"lead": "ab"}, "Erased a lost lead's personal details on request"),
        ("referral.bonus", {"lead": "ab", "points": 50}, "Referral bonus (+50 points)"),
    ],
)
def test_it_puts_each_lead_event_in_words(action: str, detail: dict[str, Any], words: str) -> None:
    assert describe_action(action, "ok", detail) == words
