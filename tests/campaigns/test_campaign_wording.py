"""The audit log says each campaign event in words (audit/wording.py)."""

from __future__ import annotations

from typing import Any

import pytest

from rewardshub.audit.wording import describe_action


@pytest.mark.parametrize(
    ("action", "detail", "words"),
    [
        (
            "qr.create",
            {"label": "Checked in", "points": 10, "limit": "once"},
            "Added QR code “Checked in” (10 points)",
        ),
        (
            "qr.update",
            {"label": "Checked in", "points": 1, "fields": ["points", "valid_until"]},
            "Changed QR code “Checked in”: points, valid until",
        ),
        (
            "points.qr",
            {"label": "Checked in", "points": 1, "balance": 4},
            "Collected 1 point with QR code “Checked in”",
        ),
        (
            "points.group_award",
            {"label": "Debond party", "points": 25, "balance": 25},
            "Awarded 25 points (group award “Debond party”)",
        ),
        (
            "campaigns.group_award",
            {"label": "Debond party", "points": 25, "patients": 1, "total": 25},
            "Made a group award “Debond party”: 25 points each to 1 patient",
        ),
    ],
)
def test_it_puts_each_campaign_event_in_words(
    action: str, detail: dict[str, Any], words: str
) -> None:
    assert describe_action(action, "ok", detail) == words
