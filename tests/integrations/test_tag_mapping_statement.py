"""The tag mapping every sync call reads, compiled once (integrations/tagging._RULES),
gives the plain QuerySet's rules: each with its tag, the tag's group and the
Location the tag names."""

from __future__ import annotations

from django.db.models import Model

from rewardshub.integrations import tagging
from rewardshub.integrations.models import TagRule
from rewardshub.practices.models import Location, Practice


def _fields(instance: Model) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _read(rule: TagRule) -> tuple[object, ...]:
    return (
        _fields(rule),
        _fields(rule.tag),
        _fields(rule.tag.group),
        rule.location_id,  # type: ignore[attr-defined]
        rule.location_name,  # type: ignore[attr-defined]
    )


def test_the_cached_rules_are_the_querysets(
    acworth: Practice, riverside: Practice, tag_rules: list[TagRule]
) -> None:
    cached = tagging._RULES.rows(acworth.pk, "orthotrac")
    orm = list(tagging._rules(acworth.pk, "orthotrac"))
    assert len(cached) == len(tag_rules) == 4
    assert sorted(map(_read, cached), key=str) == sorted(map(_read, orm), key=str)
    named = {rule.location_name for rule in cached}  # type: ignore[attr-defined]
    locations = Location.objects.filter(practice=acworth).values_list("name", flat=True)
    assert named == {None, *locations}
    assert tagging._RULES.rows(riverside.pk, "orthotrac") == []
    assert tagging._RULES.rows(acworth.pk, "dolphin") == []
