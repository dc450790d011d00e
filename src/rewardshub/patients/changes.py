"""What a write to a profile changes, decided over plain values (no Django here).

One profile (patients/actions.py, the PMS's one-chart calls) and a batch of
charts (integrations/batch.py) decide the same way, here, and differ only in
how they write the rows: one at a time or many in one statement.

Values are plain: a date, a string, None, and a location by its id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The demographic fields a person or a PMS may set. Audit rows name the
# fields that changed, never their values.
DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "birth_date",
    "email",
    "phone_mobile",
    "phone_home",
    "responsible_party",
    "location",
)


def normalise(value: Any) -> Any:
    """A field's value as compared: a date as its ISO text (a PMS sends text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def profile_changes(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> list[str]:
    """The demographic fields `incoming` sets to another value than `current`'s, in field order."""
    return [
        name
        for name in DEMOGRAPHIC_FIELDS
        if name in incoming and normalise(current.get(name)) != normalise(incoming[name])
    ]


def update_detail(changed: Sequence[str]) -> dict[str, Any]:
    """The audit detail of "profile.update": the fields' names, never their values."""
    return {"fields": list(changed)}


@dataclass(frozen=True)
class TagRef:
    """A tag as the decisions see it. `exclusive`: one tag of its group per profile
    (status, location); `order` sorts tags as the hub lists them."""

    id: int
    name: str
    group_id: int
    exclusive: bool
    order: tuple[Any, ...] = ()


@dataclass(frozen=True)
class TagPlan:
    """What giving a profile some tags, one after the other, does to its tag rows."""

    final: tuple[TagRef, ...]
    drop: tuple[TagRef, ...]  # held rows that go
    add: tuple[TagRef, ...]  # rows to insert
    # One "profile.tag" audit detail per tag that changed the profile's tags.
    events: tuple[dict[str, list[str]], ...]

    @property
    def changed(self) -> bool:
        return bool(self.events)


def tag_plan(held: Iterable[TagRef], wanted: Iterable[TagRef]) -> TagPlan:
    """Give the profile holding `held` each of `wanted` in turn, as staff's "add tag" does:
    a status or location tag takes the place of its group's other one."""
    before_all = {tag.id: tag for tag in held}
    state = dict(before_all)
    events: list[dict[str, list[str]]] = []
    for tag in wanted:
        before = {t.name for t in state.values()}
        if tag.exclusive:
            for other in [t for t in state.values() if t.exclusive and t.group_id == tag.group_id]:
                del state[other.id]
        state[tag.id] = tag
        after = {t.name for t in state.values()}
        if before != after:
            events.append({"added": sorted(after - before), "removed": sorted(before - after)})
    return TagPlan(
        final=tuple(state.values()),
        drop=tuple(t for tag_id, t in before_all.items() if tag_id not in state),
        add=tuple(t for tag_id, t in state.items() if tag_id not in before_all),
        events=tuple(events),
    )


def create_detail(
    fields: Mapping[str, Any], card_number: str | None, tags: Iterable[TagRef]
) -> dict[str, Any]:
    """The audit detail of "profile.create": fields given, the card's last four, the tags."""
    return {
        "fields": sorted(name for name, value in fields.items() if value not in ("", None)),
        "card_last4": card_number[-4:] if card_number else None,
        "tags": [tag.name for tag in sorted(tags, key=lambda t: t.order)],
    }
