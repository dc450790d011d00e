"""The contest form (name, dates, rules, points)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from rewardshub.contests.models import MAX_CONTEST_POINTS, Contest


def _points_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_CONTEST_POINTS,
        initial=0,
        help_text="0 for none.",
        error_messages={
            "required": f"Enter the {label.lower()} (0 for none).",
            "invalid": f"Enter the {label.lower()} as a whole number.",
            "min_value": f"The {label.lower()} cannot be negative.",
            "max_value": f"The {label.lower()} are at most {MAX_CONTEST_POINTS:,}.",
        },
    )


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as a date, e.g. 2026-12-31.",
        },
    )


class ContestForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Enter the contest's name.",
            "max_length": "A contest's name has at most 100 characters.",
        },
    )
    starts_on = _date_field("First day")
    ends_on = _date_field("Last day")
    rules = forms.CharField(
        label="Rules",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Patients read these in the portal while the contest is open.",
        error_messages={"max_length": "The rules have at most 4,000 characters."},
    )
    participant_points = _points_field("Points for taking part")
    winner_points = _points_field("Points for winning")

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter the contest's name.")
        return name

    def clean_rules(self) -> str:
        return str(self.cleaned_data["rules"]).strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error(
                "ends_on",
                "The contest cannot end before it starts: choose a last day on or after "
                "the first day.",
            )
        return data

    @classmethod
    def initial_for(cls, contest: Contest) -> dict[str, Any]:
        return {name: getattr(contest, name) for name in cls.base_fields}
