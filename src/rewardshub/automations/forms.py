"""Forms of the automatic-points pages: Settings > Automatic points (one form per
rule, one for the exclusions) and the reports' range of weeks."""

from __future__ import annotations

from typing import Any

from django import forms

from rewardshub.automations.models import APPOINTMENT_TRIGGERS, AutoRule, ReferralStage, Trigger
from rewardshub.automations.reports import MAX_WEEKS, Weeks
from rewardshub.automations.settings_actions import (
    BOUNDS,
    CODE_LENGTH,
    MAX_CODES,
    STATUS_LENGTH,
)
from rewardshub.patients.models import Tag
from rewardshub.points.prize_forms import PeriodForm

# The fields each trigger shows besides on/off and points. The grace is shown
# once, under On time, and saved on Late too (settings_actions.SHARED_GRACE).
# The daily limit is offered on the deductions as well: a patient who misses a
# day with two appointments booked (a split visit) was absent once, and a
# limit of one lets the practice take the points once.
OWN_FIELDS: dict[str, tuple[str, ...]] = {
    Trigger.ON_TIME: ("grace_minutes",),
    Trigger.EARLY: ("early_minutes",),
    Trigger.NEXT_BOOKED: ("window_hours",),
    Trigger.MILESTONE: ("milestone_status",),
    Trigger.REFERRAL: ("referral_stage",),
}
APPOINTMENT_FIELDS = ("appointment_types", "daily_limit")


def _number(name: str, label: str, help_text: str = "", required: bool = True) -> forms.Field:
    least, most, what = BOUNDS[name]
    empty = "; leave it empty for no limit" if not required else ""
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=least,
        max_value=most,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": "input-short"}),
        error_messages={
            "required": f"Enter {what.lower()} as a whole number, e.g. {max(least, 5)}.",
            "invalid": f"{what} must be a whole number, e.g. {max(least, 5)}{empty}.",
            "min_value": f"{what} must be at least {least}{empty}.",
            "max_value": f"{what} must be at most {most:,}.",
        },
    )


class RuleForm(forms.Form):
    """One trigger's rule. Only the fields its trigger uses are on the form."""

    enabled = forms.BooleanField(label="On", required=False)
    points = _number("points", "Points")
    appointment_types = forms.CharField(
        label="Appointment types",
        required=False,
        max_length=2000,
        help_text=(
            "Type codes exactly as the PMS writes them, separated by commas (e.g. ADJ, DEB). "
            "Leave empty for every type."
        ),
        error_messages={"max_length": "List at most 2,000 characters of type codes."},
    )
    daily_limit = _number(
        "daily_limit",
        "At most this many a day",
        "Per patient, counted by the appointments' start times. Leave empty for no limit.",
        required=False,
    )
    grace_minutes = _number(
        "grace_minutes",
        "Grace (minutes)",
        "Arriving up to this many minutes after the start is on time; later is late. "
        "On time and Late share this grace.",
    )
    early_minutes = _number(
        "early_minutes", "Early by at least (minutes)", "Early replaces on time: one or the other."
    )
    window_hours = _number(
        "window_hours", "Booked within (hours of check-out)", "The next visit booked this soon."
    )
    milestone_status = forms.CharField(
        label="PMS status that marks the milestone",
        required=False,
        max_length=STATUS_LENGTH,
        help_text="As the PMS writes it, e.g. Debond. Needed before the rule can be switched on.",
        error_messages={
            "max_length": f"The milestone status has at most {STATUS_LENGTH} characters."
        },
    )

    referral_stage = forms.ChoiceField(
        label="Paid when the referred friend reaches",
        choices=ReferralStage.choices,
        help_text="Once per referred friend, to the patient who referred them.",
        error_messages={
            "required": "Pick the stage that pays the bonus.",
            "invalid_choice": "Pick one of the stages listed.",
        },
    )

    def __init__(self, *args: Any, trigger: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", trigger)
        super().__init__(*args, **kwargs)
        self.trigger = trigger
        keep = {"enabled", "points", *OWN_FIELDS.get(trigger, ())}
        if trigger in APPOINTMENT_TRIGGERS:
            keep.update(APPOINTMENT_FIELDS)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    @classmethod
    def for_rule(cls, rule: AutoRule) -> RuleForm:
        initial = {name: getattr(rule, name) for name in cls.base_fields}
        initial["appointment_types"] = ", ".join(rule.appointment_types or ())
        return cls(trigger=rule.trigger, initial=initial)

    def clean_appointment_types(self) -> list[str]:
        codes: list[str] = []
        for part in self.cleaned_data["appointment_types"].split(","):
            code = " ".join(part.split())
            if code and code not in codes:
                codes.append(code)
        too_long = [code for code in codes if len(code) > CODE_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"“{too_long[0][:50]}” is longer than a type code ({CODE_LENGTH} characters at "
                "most). Separate the codes with commas."
            )
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(f"Name at most {MAX_CODES} appointment types.")
        return codes

    def clean_milestone_status(self) -> str:
        return " ".join(self.cleaned_data["milestone_status"].split())

    def values(self) -> dict[str, Any]:
        """What save_rule sets, besides on/off."""
        return {name: value for name, value in self.cleaned_data.items() if name != "enabled"}


NOT_OURS = "One of the ticked tags is not a tag of this practice. Reload the page and tick again."


class _TagChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Tag) -> str:  # type: ignore[override]
        return obj.name

    def clean(self, value: Any) -> Any:
        # A value that is no tag id at all (not a UUID) gets the same answer as
        # another practice's tag, not the UUID field's own message.
        try:
            return super().clean(value)
        except forms.ValidationError:
            raise forms.ValidationError(NOT_OURS, code="invalid_choice") from None


class ExclusionsForm(forms.Form):
    excluded_tags = _TagChoices(
        label="Patients with these tags get no automatic points",
        queryset=Tag.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": NOT_OURS, "invalid_pk_value": NOT_OURS},
    )
    visits_since = forms.DateField(
        label="Count visits since",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date", "class": "input-date"}, format="%Y-%m-%d"),
        help_text=(
            "Visits from this date earn points even before the patient's card was connected. "
            "Leave empty to count from the day the patient's card is connected."
        ),
        error_messages={"invalid": "Enter the date as year-month-day, e.g. 2026-01-31."},
    )

    def __init__(self, *args: Any, tags: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "exclusions")
        super().__init__(*args, **kwargs)
        self.fields["excluded_tags"].queryset = tags  # type: ignore[attr-defined]


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
