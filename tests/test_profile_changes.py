"""The write decisions shared by one-chart and batch sync: pure, so checked over many values."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rewardshub.cards.numbers import luhn_valid, username_of
from rewardshub.integrations.decisions import (
    batch_message,
    set_card_message,
    sync_audit_detail,
    sync_outcome,
)
from rewardshub.integrations.models import SyncOutcome
from rewardshub.patients.changes import (
    DEMOGRAPHIC_FIELDS,
    TagRef,
    create_detail,
    profile_changes,
    tag_plan,
)

values = st.one_of(st.none(), st.text(max_size=3), st.dates(), st.integers(0, 3))
records = st.dictionaries(st.sampled_from(DEMOGRAPHIC_FIELDS), values)


@given(records, records)
def test_profile_changes_names_exactly_the_sent_fields_that_differ(
    current: dict[str, object], incoming: dict[str, object]
) -> None:
    changed = profile_changes(current, incoming)
    assert changed == [name for name in DEMOGRAPHIC_FIELDS if name in changed]
    for name in DEMOGRAPHIC_FIELDS:
        differs = name in incoming and str(current.get(name)) != str(incoming[name])
        if isinstance(incoming.get(name), dt.date) or isinstance(current.get(name), dt.date):
            continue  # dates compare by their ISO text, below
        assert (name in changed) == differs, name
    # Applying the changes leaves nothing to change.
    assert profile_changes({**current, **incoming}, incoming) == []


def test_a_date_equals_its_iso_text() -> None:
    assert profile_changes({"birth_date": dt.date(2012, 4, 17)}, {"birth_date": "2012-04-17"}) == []
    assert profile_changes({"birth_date": None}, {"birth_date": "2012-04-17"}) == ["birth_date"]


# Three groups: 1 and 2 exclusive (status, location), 3 custom.
TAGS = [
    TagRef(tag_id, f"t{tag_id}", group, group != 3, (group, tag_id, f"t{tag_id}"))
    for tag_id, group in enumerate([1, 1, 1, 2, 2, 3, 3], start=1)
]
tag_lists = st.lists(st.sampled_from(TAGS), max_size=4)


def _valid_holding(tags: list[TagRef]) -> list[TagRef]:
    # What the database allows a profile to hold: one tag per exclusive group.
    return list(tag_plan((), tags).final)


@given(tag_lists, tag_lists)
def test_tag_plan_keeps_one_tag_per_exclusive_group_and_says_what_changed(
    held_raw: list[TagRef], wanted: list[TagRef]
) -> None:
    held = _valid_holding(held_raw)
    plan = tag_plan(held, wanted)
    final = {tag.id for tag in plan.final}
    groups = [tag.group_id for tag in plan.final if tag.exclusive]
    assert len(groups) == len(set(groups))
    # Rows written: the held ones that went, the new ones that came.
    assert {t.id for t in plan.drop} == {t.id for t in held} - final
    assert {t.id for t in plan.add} == final - {t.id for t in held}
    # Every tag asked for is held, unless a later one of its exclusive group replaced it.
    for i, tag in enumerate(wanted):
        later = [t for t in wanted[i + 1 :] if t.exclusive and tag.exclusive]
        if not any(t.group_id == tag.group_id for t in later):
            assert tag.id in final
    # One audit event per tag that changed the names (as add_tag one after the
    # other: two tags of one group in a call may each write one, netting nothing).
    assert plan.changed == bool(plan.events)
    if plan.drop or plan.add:
        assert plan.changed
    added = {name for event in plan.events for name in event["added"]}
    assert {t.name for t in plan.add} <= added
    # Giving the same tags again (one per group, as a tag mapping gives) changes nothing.
    once = [
        t
        for i, t in enumerate(wanted)
        if not any(later.exclusive and later.group_id == t.group_id for later in wanted[i + 1 :])
        or not t.exclusive
    ]
    assert not tag_plan(plan.final, once).changed


def test_tag_plan_writes_one_event_per_tag_as_add_tag_does() -> None:
    status_a, status_b, office = TAGS[0], TAGS[1], TAGS[3]
    plan = tag_plan([status_a], [status_b, office])
    assert plan.events == (
        {"added": ["t2"], "removed": ["t1"]},
        {"added": ["t4"], "removed": []},
    )


def test_create_detail_lists_given_fields_and_tags_in_hub_order() -> None:
    detail = create_detail(
        {"first_name": "Ava", "email": "", "location": 7, "phone_home": None},
        "6277000000000001",
        [TAGS[5], TAGS[3], TAGS[0]],
    )
    assert detail == {
        "fields": ["first_name", "location"],
        "card_last4": "0001",
        "tags": ["t1", "t4", "t6"],
    }


@given(st.integers(0, 10**11 - 1))
def test_generated_usernames_are_reserved_and_check(draw: int) -> None:
    username = username_of(draw)
    assert len(username) == 16 and username.startswith("0000") and luhn_valid(username)


def test_the_sync_log_words_name_the_outcomes_the_models_know() -> None:
    assert sync_outcome([]) == SyncOutcome.UNCHANGED
    assert sync_outcome(["email"]) == SyncOutcome.UPDATED
    assert batch_message(SyncOutcome.CREATED, "0000123", [], ["No tag mapping."]) == (
        "Created chart-only profile 0000123 and synced the chart with it. No tag mapping."
    )
    assert batch_message(SyncOutcome.UPDATED, "u", ["email", "tags"], []) == (
        "Changed: email, tags."
    )
    assert set_card_message(SyncOutcome.ALREADY_LINKED, "6277", ["email"], []) == (
        "The chart was already synced with hub patient 6277. Changed: email."
    )
    assert sync_audit_detail("orthotrac", "x" * 70, SyncOutcome.ERROR, "bad") == {
        "system": "orthotrac",
        "chart_id": "x" * 64,
        "outcome": "error",
        "error": "bad",
    }
