"""The tag mapping: a practice's rules for one PMS, with the Location each location tag
names, read in one statement."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.integrations.conftest import SYSTEM

from rewardshub.integrations.actions import add_tag_rule
from rewardshub.integrations.tagging import load_mapping
from rewardshub.patients.models import Tag, TagGroup, TagGroupKind
from rewardshub.practices.models import Location, Practice

pytestmark = pytest.mark.django_db


def _rule(practice: Practice, field: str, value: str, tag: Tag) -> None:
    add_tag_rule(
        practice=practice, system="orthotrac", field=field, value=value, tag=tag, actor=SYSTEM
    )


@pytest.fixture
def location_tags(acworth: Practice) -> dict[str, Tag]:
    group = TagGroup.objects.get(practice=acworth, kind=TagGroupKind.LOCATION)
    Location.objects.create(practice=acworth, name="East Cobb", address="1 Roswell Rd")
    tags = {
        "ACW": Tag.objects.get(practice=acworth, name="*Acworth"),
        # Stars and case are the tag's own: the Location is named without them.
        "EC": Tag.objects.create(practice=acworth, group=group, name="**EAST cobb"),
        "NW": Tag.objects.create(practice=acworth, group=group, name="*Nowhere"),
    }
    for office, tag in tags.items():
        _rule(acworth, "office", office, tag)
    _rule(acworth, "pms_status", "Active Tx", Tag.objects.get(practice=acworth, name="*Acworth"))
    return tags


def test_it_reads_the_rules_and_their_locations_in_one_statement(
    acworth: Practice, location_tags: dict[str, Tag]
) -> None:
    with CaptureQueriesContext(connection) as captured:
        mapping = load_mapping(acworth, "orthotrac")
    assert len(captured.captured_queries) == 1

    by_name = {loc.name.lower(): loc for loc in Location.objects.filter(practice=acworth)}
    for rule in mapping.rules.values():
        named = by_name.get(rule.tag.name.lstrip("*").lower())
        got = (rule.location.pk, rule.location.name) if rule.location else None
        assert got == ((named.pk, named.name) if named else None), rule.tag.name


def test_it_gives_the_location_a_location_tag_names(
    acworth: Practice, location_tags: dict[str, Tag]
) -> None:
    mapped = load_mapping(acworth, "orthotrac").apply_to(None, "ec")

    assert mapped.tags == [location_tags["EC"]]
    assert mapped.location is not None and mapped.location.name == "East Cobb"
    assert mapped.location.practice_id == acworth.pk
    assert mapped.location.address == "1 Roswell Rd"  # read when asked


def test_it_keeps_no_location_for_a_tag_that_names_none(
    acworth: Practice, location_tags: dict[str, Tag]
) -> None:
    mapped = load_mapping(acworth, "orthotrac").apply_to("Active Tx", "NW")

    # The status rule's tag named Acworth; the office's names no Location.
    assert mapped.tags == [Tag.objects.get(practice=acworth, name="*Acworth"), location_tags["NW"]]
    assert mapped.location is not None and mapped.location.name == "Acworth"
    assert load_mapping(acworth, "orthotrac").apply_to(None, "NW").location is None
