"""The merge's decisions from plain facts (merges/rules.py), no database."""

from __future__ import annotations

from rewardshub.merges.rules import LinkConflict, Side, TagFact, plan_merge

STATUS, LOCATION = 1, 2
ORTHO = TagFact(10, "*Orthodontic Patient", STATUS)
RETAINER = TagFact(11, "*Retainer Patient", STATUS)
ACWORTH = TagFact(20, "*Acworth", LOCATION)
CLUB = TagFact(30, "Elastics club", None)


def test_it_keeps_the_survivors_card_and_retires_the_others() -> None:
    plan = plan_merge(Side(active_card="1" * 16), Side(active_card="2" * 16))
    assert (plan.card_moves_active, plan.card_retired) == (None, "2" * 16)


def test_it_moves_the_active_card_to_a_survivor_without_one() -> None:
    plan = plan_merge(Side(), Side(active_card="2" * 16, other_cards=("3" * 16,)))
    assert (plan.card_moves_active, plan.card_retired) == ("2" * 16, None)
    assert plan.cards_moved_retired == ("3" * 16,)


def test_it_adds_tags_where_the_survivor_has_room() -> None:
    plan = plan_merge(Side(tags=(ORTHO,)), Side(tags=(RETAINER, ACWORTH, CLUB, ORTHO)))
    assert plan.tags_added == (ACWORTH, CLUB)
    assert plan.tags_dropped == (RETAINER,)


def test_two_charts_of_one_system_conflict_and_one_chart_moves() -> None:
    plan = plan_merge(Side(links={"orthotrac": "OT-1"}), Side(links={"orthotrac": "OT-2"}))
    assert plan.conflicts == (LinkConflict("orthotrac", "OT-1", "OT-2"),) and plan.refused
    moved = plan_merge(Side(links={"dolphin": "D-9"}), Side(links={"orthotrac": "OT-2"}))
    assert moved.links_moved == {"orthotrac": "OT-2"} and not moved.refused


def test_the_portal_account_moves_only_when_the_survivor_has_none_else_it_closes() -> None:
    assert plan_merge(Side(), Side(portal_account=True)).portal == "moved"
    assert plan_merge(Side(portal_account=True), Side(portal_account=True)).portal == "closed"
    assert plan_merge(Side(portal_account=True), Side()).portal == ""
