"""Forms of the Pending rewards queue, Settings > Reward rules and gifts between members."""

from __future__ import annotations

from typing import Any

from django import forms

from rewardshub.points.models import RewardKind, RewardSettings
from rewardshub.points.rewards import HELD_KINDS, MAX_GIFT_LIMIT


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("void", "Void")],
        error_messages={
            "required": "Choose Approve or Void.",
            "invalid_choice": "Choose Approve or Void.",
        },
    )
    reason = forms.CharField(
        max_length=300,
        required=False,
        error_messages={"max_length": "The reason has at most 300 characters."},
    )

    def clean_reason(self) -> str:
        return " ".join(self.cleaned_data["reason"].split())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "void" and not data.get("reason"):
            raise forms.ValidationError("Say why this reward is voided. Nothing was changed.")
        return data


def _limit_field(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=MAX_GIFT_LIMIT,
        help_text=help_text,
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as a whole number of points.",
            "min_value": f"The {label.lower()} is at least 1 point.",
            "max_value": f"The {label.lower()} is at most {MAX_GIFT_LIMIT:,} points.",
        },
    )


class RewardSettingsForm(forms.Form):
    held = forms.MultipleChoiceField(
        label="Wait in Pending rewards",
        required=False,
        choices=[(str(kind), str(RewardKind(kind).label)) for kind in HELD_KINDS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose among the kinds of rewards listed."},
    )
    gift_max_points = _limit_field("Most points in one gift", "From 1 to 100,000 points.")
    gift_daily_max_points = _limit_field(
        "Most points one member gives a day", "Counted from midnight, the practice's time."
    )

    @classmethod
    def initial_for(cls, current: RewardSettings) -> dict[str, Any]:
        return {
            "held": [str(kind) for kind in HELD_KINDS if current.holds(kind)],
            "gift_max_points": current.gift_max_points,
            "gift_daily_max_points": current.gift_daily_max_points,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        most, daily = data.get("gift_max_points"), data.get("gift_daily_max_points")
        if most is not None and daily is not None and daily < most:
            self.add_error(
                "gift_daily_max_points",
                "The limit per day cannot be lower than the limit per gift: "
                "raise the daily limit or lower the gift limit.",
            )
        return data


class GiftForm(forms.Form):
    to = forms.UUIDField(
        error_messages={
            "required": "Choose the member who receives the gift.",
            "invalid": "Choose the member who receives the gift from the list.",
        }
    )
    points = forms.IntegerField(
        min_value=1,
        max_value=MAX_GIFT_LIMIT,
        error_messages={
            "required": "Enter how many points to give.",
            "invalid": "Enter the points as a whole number.",
            "min_value": "A gift is at least 1 point.",
            "max_value": f"A gift is at most {MAX_GIFT_LIMIT:,} points.",
        },
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        error_messages={"max_length": "The note has at most 300 characters."},
    )

    def clean_note(self) -> str:
        return " ".join(self.cleaned_data["note"].split())
