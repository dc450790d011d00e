"""Family events in words for the Audit log and the profile's recent activity."""

from __future__ import annotations

from typing import Any

import pytest

from rewardshub.audit.wording import describe_action

GUARDIAN = {"guardian": "ab12"}


@pytest.mark.parametrize(
    ("action", "outcome", "detail", "words"),
    [
        ("family.invite", "ok", GUARDIAN, "Invited a parent or guardian to the portal"),
        ("family.link_propose", "ok", GUARDIAN, "Proposed a parent or guardian link (same email)"),
        ("family.link_confirm", "ok", GUARDIAN, "Confirmed a parent or guardian link"),
        ("family.link_remove", "ok", GUARDIAN, "Removed a parent or guardian link"),
        ("family.verify", "ok", GUARDIAN, "A parent or guardian confirmed their email"),
        ("family.login", "ok", GUARDIAN, "A parent or guardian signed in to the portal"),
        (
            "family.login",
            "failed",
            {"reason": "bad_credentials"},
            "Failed parent or guardian sign-in",
        ),
        (
            "family.login",
            "denied",
            {"reason": "username_locked"},
            "Parent or guardian sign-in refused: too many failures",
        ),
        ("family.switch", "ok", GUARDIAN, "A parent or guardian chose a child in the portal"),
    ],
)
def test_it_puts_each_family_event_in_words(
    action: str, outcome: str, detail: dict[str, Any], words: str
) -> None:
    assert describe_action(action, outcome, detail) == words
