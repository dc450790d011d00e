"""Audit events of a profile told in words, for the profile's "Recent activity".

Pure: reads only the event's fields, so it needs no database and the chart
tab or the audit log can reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from rewardshub.audit.wording import describe_action


class EventLike(Protocol):
    action: str
    actor_label: str
    detail: Any
    outcome: str


@dataclass(frozen=True)
class Described:
    sentence: str  # "Card connected by frontdesk"
    detail: str  # "card …4242", or ""


def _field_names(names: list[str]) -> str:
    return ", ".join(name.replace("_", " ") for name in names)


def _last4(value: Any) -> str:
    return f"card …{value}" if value else ""


def describe(event: EventLike) -> Described:
    who = event.actor_label or "someone"
    detail = event.detail if isinstance(event.detail, dict) else {}
    action = event.action
    if action == "profile.create":
        return Described(f"Profile created by {who}", _last4(detail.get("card_last4")))
    if action == "profile.update":
        return Described(f"Details changed by {who}", _field_names(detail.get("fields", [])))
    if action == "profile.tag":
        parts = []
        if detail.get("added"):
            parts.append("added " + ", ".join(detail["added"]))
        if detail.get("removed"):
            parts.append("removed " + ", ".join(detail["removed"]))
        return Described(f"Tags changed by {who}", "; ".join(parts))
    if action == "profile.untag":
        return Described(
            f"Tag removed by {who}", ", ".join(detail.get("removed", []))
        )
    if action == "card.connect":
        return Described(f"Card connected by {who}", _last4(detail.get("card_last4")))
    if action == "card.replace":
        old, new = detail.get("old_card_last4"), detail.get("card_last4")
        text = f"card …{old} retired, card …{new} active" if old and new else ""
        return Described(f"Card replaced by {who}", text)
    if action == "profile.view":
        return Described(f"Profile viewed by {who}", "")
    # Events of other areas (points, PMS sync): the audit log's words for them.
    return Described(f"{describe_action(action, event.outcome, detail)} by {who}", "")
