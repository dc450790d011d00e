"""What a merge moves, decided from plain facts (no Django): which card stays
active, which tags the survivor gains, which chart links move or conflict and
what happens to the portal account. The action (actions.py) reads the facts,
asks here and writes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TagFact:
    tag_id: int
    name: str
    # The status or location group the tag belongs to (one tag each); None: a custom tag.
    exclusive_group: int | None


@dataclass(frozen=True)
class Side:
    """One of the two profiles, as far as the merge cares."""

    active_card: str | None = None  # its number
    other_cards: tuple[str, ...] = ()  # retired cards' numbers
    links: dict[str, str] = field(default_factory=dict)  # PMS system -> chart id
    portal_account: bool = False
    tags: tuple[TagFact, ...] = ()


@dataclass(frozen=True)
class LinkConflict:
    system: str
    survivor_chart: str
    merged_chart: str


@dataclass(frozen=True)
class Plan:
    # The merged profile's active card: moves and stays active, or is retired.
    card_moves_active: str | None
    card_retired: str | None
    # Retired cards that move with it (they keep their history; none works again).
    cards_moved_retired: tuple[str, ...]
    tags_added: tuple[TagFact, ...]
    # Status or location tags the survivor already has one of: the survivor's stays.
    tags_dropped: tuple[TagFact, ...]
    links_moved: dict[str, str]
    conflicts: tuple[LinkConflict, ...]
    # The merged profile's portal account. "moved": only it had one; "closed":
    # both had one, the survivor keeps its own and the merged one is closed
    # (it never signs in again); "" when the merged profile had none.
    portal: str

    @property
    def refused(self) -> bool:
        return bool(self.conflicts)


def plan_merge(survivor: Side, merged: Side) -> Plan:
    conflicts = tuple(
        LinkConflict(system, survivor.links[system], chart)
        for system, chart in sorted(merged.links.items())
        if system in survivor.links and survivor.links[system] != chart
    )
    links_moved = {
        system: chart for system, chart in merged.links.items() if system not in survivor.links
    }
    have = {t.tag_id for t in survivor.tags}
    taken_groups = {t.exclusive_group for t in survivor.tags if t.exclusive_group is not None}
    added: list[TagFact] = []
    dropped: list[TagFact] = []
    for tag in merged.tags:
        if tag.tag_id in have:
            continue
        if tag.exclusive_group is not None and tag.exclusive_group in taken_groups:
            dropped.append(tag)
            continue
        added.append(tag)
        if tag.exclusive_group is not None:
            taken_groups.add(tag.exclusive_group)
    card = merged.active_card
    portal = ""
    if merged.portal_account:
        portal = "closed" if survivor.portal_account else "moved"
    return Plan(
        card_moves_active=card if card is not None and survivor.active_card is None else None,
        card_retired=card if card is not None and survivor.active_card is not None else None,
        cards_moved_retired=tuple(merged.other_cards),
        tags_added=tuple(added),
        tags_dropped=tuple(dropped),
        links_moved=links_moved,
        conflicts=conflicts,
        portal=portal,
    )
