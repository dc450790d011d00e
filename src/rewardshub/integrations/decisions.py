"""What a PMS call says it did, decided over plain values (no Django here).

The one-chart calls (sync.py, set_card.py) and the batch (batch.py) word
their Sync log rows and audit details here, so the two cannot drift apart.
Outcomes are the SyncOutcome values ("created", "updated", ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewardshub.automations.rules import same_status

CHART_ID_LENGTH = 64
PMS_USER_LENGTH = 100
PMS_STATUS_LENGTH = 100


def pms_status_seen(known: str, sent: str | None) -> str | None:
    """The PMS status to keep on the chart's link when a call sends `sent`, or
    None when the link keeps `known`: a call without a status (or a blank one)
    says nothing about it, and the same status in another case or with spaces
    around it is no move. The status is kept as the PMS spells it, trimmed."""
    if sent is None:
        return None
    status = sent.strip()[:PMS_STATUS_LENGTH]
    if not status or same_status(status, known):
        return None
    return status


def sync_audit_detail(system: str, chart_id: str, outcome: str, error: str = "") -> dict[str, Any]:
    """The audit detail of a "pms.<action>" event: which chart, what came of it."""
    return {
        "system": system,
        "chart_id": chart_id[:CHART_ID_LENGTH],
        "outcome": outcome,
        "error": error,
    }


def sync_outcome(changed: Sequence[str]) -> str:
    """The outcome of syncing a linked chart: did anything change?"""
    return "updated" if changed else "unchanged"


def changed_words(changed: Sequence[str]) -> str:
    return "Changed: " + ", ".join(changed) + "." if changed else "Nothing changed."


def batch_message(outcome: str, username: str, changed: Sequence[str], notes: Sequence[str]) -> str:
    """A batch row's Sync log message (the tag mapping's notes last)."""
    if outcome == "created":
        first = f"Created chart-only profile {username} and synced the chart with it."
    else:
        first = changed_words(changed)
    return " ".join([first, *notes])


_SET_CARD_WORDS = {
    "created": "Created {who} and synced the chart with it.",
    "linked": "Synced the chart with {who}.",
    "already_linked": "The chart was already synced with {who}.",
}


def set_card_message(
    outcome: str, username: str, changed: Sequence[str], notes: Sequence[str]
) -> str:
    """A set card's Sync log message."""
    parts = [_SET_CARD_WORDS[outcome].format(who=f"hub patient {username}")]
    if changed:
        parts.append(changed_words(changed))
    return " ".join(parts + list(notes))
