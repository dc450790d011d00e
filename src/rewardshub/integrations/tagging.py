"""PMS status and office -> tags, through the practice's tag mapping (TagRule)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rewardshub.audit.actors import Actor
from rewardshub.integrations.models import TagRule, TagRuleField
from rewardshub.patients.actions import give_tags
from rewardshub.patients.models import Profile, Tag, TagGroupKind
from rewardshub.practices.models import Location, Practice

FIELD_WORDS = {TagRuleField.PMS_STATUS: "PMS status", TagRuleField.OFFICE: "office"}


@dataclass
class Mapped:
    tags: list[Tag] = field(default_factory=list)
    # A location tag names a Location: the profile's location follows it.
    location: Location | None = None
    # Values the mapping does not know, in words for the sync log.
    notes: list[str] = field(default_factory=list)


@dataclass
class TagMapping:
    """One practice's rules for one PMS system, loaded once per call (or per batch)."""

    rules: dict[tuple[str, str], Tag]
    locations: dict[str, Location]

    def apply_to(self, pms_status: str | None, office: str | None) -> Mapped:
        mapped = Mapped()
        for rule_field, value in (
            (TagRuleField.PMS_STATUS, pms_status),
            (TagRuleField.OFFICE, office),
        ):
            if not value:
                continue
            tag = self.rules.get((rule_field, value.strip().lower()))
            if tag is None:
                mapped.notes.append(f"No tag mapping for {FIELD_WORDS[rule_field]} “{value}”.")
                continue
            mapped.tags.append(tag)
            if tag.group.kind == TagGroupKind.LOCATION:
                mapped.location = self.locations.get(tag.name.lstrip("*").lower(), mapped.location)
        return mapped


def load_mapping(practice: Practice, system: str) -> TagMapping:
    rules = TagRule.objects.filter(practice=practice, system=system).select_related("tag__group")
    locations = {loc.name.lower(): loc for loc in Location.objects.filter(practice=practice)}
    return TagMapping(
        rules={(rule.field, rule.value.strip().lower()): rule.tag for rule in rules},
        locations=locations,
    )


def apply_tags(*, practice: Practice, profile: Profile, tags: list[Tag], actor: Actor) -> bool:
    """Give the profile these tags (status/location replace the old one); True if any changed.
    The profile's row is locked already (update_profile, in the same transaction)."""
    if not tags:
        return False
    return give_tags(practice=practice, profile=profile, tags=tags, actor=actor)
