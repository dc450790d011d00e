"""What a merge will move and did move, in the words the review page and the
success message use."""

from __future__ import annotations

from rewardshub.merges.actions import MergeResult
from rewardshub.merges.rules import Plan
from rewardshub.patients.models import Profile
from rewardshub.wording import count_of


def _card(number: str) -> str:
    return f"card …{number[-4:]}"


def moves(merged: Profile, plan: Plan) -> list[str]:
    """One line per piece that goes from the merged profile to the survivor."""
    lines = []
    if merged.points_balance:
        lines.append(f"{count_of(merged.points_balance, 'point')} move to the profile kept.")
    if plan.card_moves_active:
        lines.append(f"Active {_card(plan.card_moves_active)} moves and stays active.")
    if plan.card_retired:
        lines.append(
            f"Active {_card(plan.card_retired)} is retired: the profile kept has its own card."
        )
    if plan.tags_added:
        lines.append("Tags added: " + ", ".join(t.name for t in plan.tags_added) + ".")
    if plan.tags_dropped:
        lines.append(
            "Tags not added (the profile kept has its own): "
            + ", ".join(t.name for t in plan.tags_dropped)
            + "."
        )
    for chart in sorted(plan.links_moved.values()):
        lines.append(f"The PMS link (chart {chart}) moves.")
    if plan.portal == "moved":
        lines.append("The patient portal account moves.")
    elif plan.portal == "closed":
        lines.append(
            "Both have a portal account: the profile kept keeps its own. The merged profile's "
            "portal account is closed: its password stops working and anyone signed in to it "
            "is signed out. The patient signs in with the kept account's password (the merged "
            "profile's username and cards lead there)."
        )
    lines.append(
        f"The username {merged.username} will open the profile kept; "
        "the merged profile's history stays readable there."
    )
    return lines


def merged_message(result: MergeResult) -> str:
    plan = result.plan
    parts = [f"{count_of(result.points, 'point')}"]
    cards = [n for n in (plan.card_moves_active, *plan.cards_moved_retired) if n]
    if cards:
        parts.append(count_of(len(cards), "card"))
    if plan.tags_added:
        parts.append(count_of(len(plan.tags_added), "tag"))
    if plan.links_moved:
        parts.append("the PMS link")
    if plan.portal == "moved":
        parts.append("the portal account")
    text = (
        f"Merged the profile with username {result.merged.username} into this one. "
        f"Moved: {', '.join(parts)}."
    )
    if plan.card_retired:
        text += f" Card …{plan.card_retired[-4:]} was retired: this profile keeps its own card."
    if plan.portal == "closed":
        text += " The merged profile's portal account was closed: this profile keeps its own."
    return text
