"""Forms of the automatic-points pages."""

from __future__ import annotations

from typing import Any

from django import forms

from rewardshub.automations.reports import MAX_WEEKS, Weeks
from rewardshub.points.prize_forms import PeriodForm


class WeeksForm(PeriodForm):
    """A range of days, widened to whole weeks (Monday to Sunday), at most MAX_WEEKS."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is None or end is None or self.errors:
            return data
        if Weeks.covering(start, end, "UTC").count > MAX_WEEKS:
            raise forms.ValidationError(
                f"Pick at most {MAX_WEEKS} weeks (about a year): every visit of the "
                "weeks is counted."
            )
        return data
