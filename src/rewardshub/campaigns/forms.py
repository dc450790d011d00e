"""Forms of the campaign pages: a QR code, a group award and its confirmation."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from rewardshub.campaigns import queries
from rewardshub.campaigns.actions import QrFields
from rewardshub.campaigns.group_actions import GroupSpec
from rewardshub.campaigns.models import QrLimit
from rewardshub.patients.models import Tag
from rewardshub.points.actions import MAX_MISC_POINTS
from rewardshub.points.models import RewardItem
from rewardshub.practices.models import Practice

MAX_QR_POINTS = 100_000
MAX_EVERY_DAYS = 365
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class QrCodeForm(forms.Form):
    reward_item = forms.ModelChoiceField(
        label="Reward from the menu",
        queryset=RewardItem.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="None: points with a label of their own",
        help_text="The points are booked to this reward; its name and points fill in "
        "whatever you leave empty below.",
        error_messages={"invalid_choice": "Choose one of the rewards in the list."},
    )
    label = forms.CharField(
        max_length=100,
        required=False,
        help_text="What the patient did, e.g. “Checked in on social media”. "
        "Printed above the code and shown in the patient's history.",
        error_messages={"max_length": "A label has at most 100 characters."},
    )
    points = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_QR_POINTS,
        error_messages={
            "invalid": "Enter the points as a whole number.",
            "min_value": "A code gives at least 1 point.",
            "max_value": f"A code gives at most {MAX_QR_POINTS:,} points.",
        },
    )
    valid_from = forms.DateField(
        label="First day",
        widget=_date_input(),
        error_messages={
            "required": "Enter the first day the code can be collected.",
            "invalid": "Enter the first day as a date.",
        },
    )
    valid_until = forms.DateField(
        label="Last day",
        required=False,
        widget=_date_input(),
        help_text="Leave empty for no end. Days are the practice's days, both included.",
        error_messages={"invalid": "Enter the last day as a date."},
    )
    limit = forms.ChoiceField(
        label="Each patient can collect it",
        choices=QrLimit.choices,
        initial=QrLimit.ONCE,
        error_messages={"invalid_choice": "Choose how often a patient can collect it."},
    )
    every_days = forms.IntegerField(
        label="Days between collections",
        required=False,
        min_value=2,
        max_value=MAX_EVERY_DAYS,
        help_text="With “Once every few days”: a patient collects again this many days later.",
        error_messages={
            "invalid": "Enter the days as a whole number.",
            "min_value": "Enter at least 2 days (or choose “Once a day”).",
            "max_value": f"Enter at most {MAX_EVERY_DAYS} days.",
        },
    )
    active = forms.BooleanField(label="Patients can collect it", required=False, initial=True)

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reward_item"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queries.menu_items(practice)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item = data.get("reward_item")
        label = " ".join(str(data.get("label") or "").split())
        if not label and item is not None:
            label = item.name
        data["label"] = label
        if not label and "label" not in self.errors:
            self.add_error("label", "Enter a label, or choose a reward from the menu.")
        if data.get("points") is None and "points" not in self.errors:
            if item is not None:
                data["points"] = item.points
            else:
                self.add_error("points", "Enter how many points the code gives.")
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "The last day comes before the first day.")
        if data.get("limit") == QrLimit.EVERY_DAYS:
            if data.get("every_days") is None and "every_days" not in self.errors:
                self.add_error("every_days", "Enter after how many days a patient collects again.")
        else:
            data["every_days"] = None
        return data

    def fields_for_action(self) -> QrFields:
        data = self.cleaned_data
        return QrFields(
            label=data["label"],
            points=data["points"],
            reward_item=data["reward_item"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            limit=data["limit"],
            every_days=data["every_days"],
            active=data["active"],
        )


class GroupAwardForm(forms.Form):
    """Whom and what. Bound from the query string for the preview, from POST to confirm."""

    tag = forms.ModelChoiceField(
        label="Patients",
        queryset=Tag.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="All patients",
        error_messages={"invalid_choice": "Choose one of the tags in the list."},
    )
    reward_item = forms.ModelChoiceField(
        label="Reward from the menu",
        queryset=RewardItem.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="None: points and a reason",
        error_messages={"invalid_choice": "Choose one of the rewards in the list."},
    )
    points = forms.IntegerField(
        label="Points each",
        required=False,
        min_value=1,
        max_value=MAX_MISC_POINTS,
        error_messages={
            "invalid": "Enter the points as a whole number.",
            "min_value": "Give at least 1 point.",
            "max_value": f"Give at most {MAX_MISC_POINTS:,} points each.",
        },
    )
    reason = forms.CharField(
        required=False,
        max_length=200,
        help_text="Shown in each patient's history, e.g. “Debond party”.",
        error_messages={"max_length": "A reason has at most 200 characters."},
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("tag", queries.tags(practice)),
            ("reward_item", queries.menu_items(practice)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        item, points = data.get("reward_item"), data.get("points")
        reason = " ".join(str(data.get("reason") or "").split())
        data["reason"] = reason
        if item is not None and (points is not None or reason):
            raise forms.ValidationError(
                "Choose a reward from the menu, or enter points and a reason: not both."
            )
        if item is None:
            if points is None and not reason:
                raise forms.ValidationError(
                    "Choose a reward from the menu, or enter points and a reason."
                )
            if points is None:
                self.add_error("points", "Enter how many points each patient gets.")
            if not reason:
                self.add_error("reason", "Say why these points are given.")
        return data

    def spec(self) -> GroupSpec:
        data = self.cleaned_data
        return GroupSpec.of(
            tag=data["tag"],
            reward_item=data["reward_item"],
            points=data["points"],
            reason=data["reason"],
        )


class ConfirmGroupForm(GroupAwardForm):
    key = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "Open the preview again and confirm from there."},
    )

    def clean_key(self) -> str:
        key = str(self.cleaned_data["key"])
        if not KEY.match(key):
            raise forms.ValidationError("Open the preview again and confirm from there.")
        return key
