"""PMS status and office -> tags, through the practice's tag mapping (TagRule)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import CharField, Func, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Lower

from rewardshub.audit.actors import Actor
from rewardshub.integrations.models import TagRule, TagRuleField
from rewardshub.patients.actions import give_tags
from rewardshub.patients.models import Profile, Tag, TagGroupKind
from rewardshub.practices.models import Location, Practice
from rewardshub.statement import Statement

FIELD_WORDS = {TagRuleField.PMS_STATUS: "PMS status", TagRuleField.OFFICE: "office"}


@dataclass
class Mapped:
    tags: list[Tag] = field(default_factory=list)
    # A location tag names a Location: the profile's location follows it.
    location: Location | None = None
    # Values the mapping does not know, in words for the sync log.
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MappedTag:
    tag: Tag
    # The Location a location tag names ("*Marietta" names Marietta), if the practice has one.
    location: Location | None = None


@dataclass
class TagMapping:
    """One practice's rules for one PMS system, loaded once per call (or per batch)."""

    rules: dict[tuple[str, str], MappedTag]

    def apply_to(self, pms_status: str | None, office: str | None) -> Mapped:
        mapped = Mapped()
        for rule_field, value in (
            (TagRuleField.PMS_STATUS, pms_status),
            (TagRuleField.OFFICE, office),
        ):
            if not value:
                continue
            rule = self.rules.get((rule_field, value.strip().lower()))
            if rule is None:
                mapped.notes.append(f"No tag mapping for {FIELD_WORDS[rule_field]} “{value}”.")
                continue
            mapped.tags.append(rule.tag)
            if rule.tag.group.kind == TagGroupKind.LOCATION:
                mapped.location = rule.location or mapped.location
        return mapped


def _named_location() -> QuerySet[Location]:
    """The outer rule's tag's Location: the tag's name without its leading "*"s, in any case.
    Of two names that differ only in case, the last by name."""
    return (
        Location.objects.filter(practice=OuterRef("practice"))
        .alias(lowered=Lower("name"))
        .filter(
            lowered=Lower(
                Func(OuterRef("tag__name"), Value("*"), function="LTRIM", output_field=CharField())
            )
        )
        .order_by("-name")
    )


def _rules(practice_id: int, system: str) -> QuerySet[TagRule]:
    return (
        TagRule.objects.filter(practice_id=practice_id, system=system)
        .select_related("tag__group")
        .annotate(
            location_id=Subquery(_named_location().values("pk")[:1]),
            location_name=Subquery(_named_location().values("name")[:1]),
        )
    )


# Read by every sync call: compiled once (its two subqueries and join cost
# about 1.5 ms a call to compile; BENCHMARKS.md, "Set card's own reads").
_RULES = Statement(_rules, int, str, kind="models")


def load_mapping(practice: Practice, system: str) -> TagMapping:
    """The rules, their tags and the Locations the tags name, in one statement."""
    rules = _RULES.rows(practice.pk, system)
    mapping = TagMapping(rules={})
    for rule in rules:
        location = None
        if rule.location_id is not None:
            # With the fields a sync uses; the others load when read.
            values = [rule.location_id, rule.practice_id, rule.location_name]
            location = Location.from_db(rule._state.db, ["id", "practice_id", "name"], values)
        mapping.rules[(rule.field, rule.value.strip().lower())] = MappedTag(rule.tag, location)
    return mapping


def apply_tags(*, practice: Practice, profile: Profile, tags: list[Tag], actor: Actor) -> bool:
    """Give the profile these tags (status/location replace the old one); True if any changed.
    The profile's row is locked already (update_profile, in the same transaction)."""
    if not tags:
        return False
    return give_tags(practice=practice, profile=profile, tags=tags, actor=actor)
