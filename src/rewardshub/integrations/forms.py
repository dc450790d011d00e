"""Forms of the integration settings pages; `clean_*` tidies and checks the input."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from rewardshub.integrations.models import SyncAction, TagRuleField
from rewardshub.integrations.origins import OriginError, parse_origins
from rewardshub.integrations.silence import WEEKDAY_NAMES
from rewardshub.integrations.systems import SYSTEM_CHOICES
from rewardshub.patients.models import Tag
from rewardshub.practices.models import DEFAULT_FHIR_IDENTIFIER_SYSTEM

# An absolute URI (RFC 3986): a scheme, a colon and the rest, with no white space,
# e.g. urn:oid:1.2.36.146.595.217.0.1 or https://pms.example.com/charts.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")


def _identifier_system_field() -> forms.CharField:
    return forms.CharField(
        max_length=200,
        required=False,
        initial=DEFAULT_FHIR_IDENTIFIER_SYSTEM,
        label="FHIR identifier system",
        help_text=(
            "For FHIR Bundles only: the Patient.identifier system whose value is the chart id, "
            "e.g. urn:oid:1.2.3.4 or https://pms.example.com/charts. Left empty, it is "
            f"{DEFAULT_FHIR_IDENTIFIER_SYSTEM}."
        ),
    )


def _clean_identifier_system(value: str) -> str:
    value = value.strip()
    if not value:
        return DEFAULT_FHIR_IDENTIFIER_SYSTEM
    if not _URI.fullmatch(value):
        raise forms.ValidationError(
            "Enter a URI: a scheme, a colon and the rest with no spaces, e.g. "
            "urn:oid:1.2.3.4 or https://pms.example.com/charts."
        )
    return value


class KeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where the key is used, e.g. “Front desk PC” or “Orthotrac server”.",
    )
    system = forms.ChoiceField(choices=SYSTEM_CHOICES, initial="orthotrac", label="PMS system")
    fhir_identifier_system = _identifier_system_field()

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_fhir_identifier_system(self) -> str:
        return _clean_identifier_system(self.cleaned_data["fhir_identifier_system"])


class KeyIdentifierSystemForm(forms.Form):
    """Change an existing key's FHIR identifier system."""

    fhir_identifier_system = _identifier_system_field()

    def clean_fhir_identifier_system(self) -> str:
        return _clean_identifier_system(self.cleaned_data["fhir_identifier_system"])


class _TagChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Tag) -> str:  # type: ignore[override]
        return f"{obj.group.name}: {obj.name}"


class TagRuleForm(forms.Form):
    system = forms.ChoiceField(choices=SYSTEM_CHOICES, initial="orthotrac", label="PMS system")
    field = forms.ChoiceField(choices=TagRuleField.choices, label="PMS field")
    value = forms.CharField(
        max_length=100,
        label="Value in the PMS",
        help_text="As the PMS writes it, e.g. “Active Tx” or “ACW”; capitals do not matter.",
    )
    tag = _TagChoice(queryset=Tag.objects.none(), label="Tag to give")

    def __init__(self, *args: Any, tags: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags  # type: ignore[attr-defined]

    def clean_value(self) -> str:
        value = " ".join(self.cleaned_data["value"].split())
        if not value:
            raise forms.ValidationError("Enter the value as the PMS writes it.")
        return value


class FrameAncestorsForm(forms.Form):
    origins = forms.CharField(
        required=False,
        max_length=2000,
        label="Addresses allowed to show the chart tab",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "One per line: the origin (scheme, host and port) of the PMS page that shows the "
            "hub's chart view in a frame, e.g. https://pms.example.com or http://127.0.0.1:8001. "
            "Leave empty to allow no one."
        ),
    )

    def clean_origins(self) -> list[str]:
        try:
            return parse_origins(self.cleaned_data["origins"])
        except OriginError as exc:
            raise forms.ValidationError(str(exc)) from None


class SyncLogFilterForm(forms.Form):
    """The Sync log's filters, read from GET: calls and outcomes only, never a chart
    or a patient, so nothing about a patient lands in the page's address."""

    failures = forms.BooleanField(label="Failures only", required=False)
    action = forms.ChoiceField(
        label="Call",
        choices=[("", "All calls"), *SyncAction.choices],
        required=False,
        error_messages={
            "invalid_choice": "“%(value)s” is not a PMS call. Choose one from the list: "
            + ", ".join(label for _, label in SyncAction.choices)
            + ", or all calls."
        },
    )

    def query(self) -> str:
        """The filters as a query string for the page links ("" when none)."""
        if not self.is_valid():
            return ""
        params = []
        if self.cleaned_data["failures"]:
            params.append("failures=1")
        if self.cleaned_data["action"]:
            params.append(f"action={self.cleaned_data['action']}")
        return "&".join(params)


MIN_SILENCE_MINUTES = 15
MAX_SILENCE_MINUTES = 7 * 24 * 60
SILENCE_UNITS = {"minutes": 1, "hours": 60}


class SyncWatchForm(forms.Form):
    """How long the PMS may stay silent, and the opening hours that silence counts in."""

    silence = forms.IntegerField(
        label="Warn when the PMS has not called for",
        required=False,
        help_text="Leave it empty for no warning.",
        error_messages={"invalid": "Enter a whole number, e.g. 2, or leave it empty."},
    )
    unit = forms.ChoiceField(
        label="Unit",
        choices=[(unit, unit) for unit in SILENCE_UNITS],
        initial="hours",
        error_messages={"invalid_choice": "Choose minutes or hours."},
    )
    opens_at = forms.TimeField(
        label="Opens at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter the opening time as hours and minutes, e.g. 08:00."},
    )
    closes_at = forms.TimeField(
        label="Closes at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter the closing time as hours and minutes, e.g. 17:30."},
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Open on",
        required=False,
        coerce=int,
        choices=list(enumerate(WEEKDAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose the days from Monday to Sunday."},
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        silence = data.get("silence")
        if silence is not None:
            minutes = silence * SILENCE_UNITS[data["unit"]]
            if not MIN_SILENCE_MINUTES <= minutes <= MAX_SILENCE_MINUTES:
                self.add_error(
                    "silence",
                    f"Choose from {MIN_SILENCE_MINUTES} minutes to "
                    f"{MAX_SILENCE_MINUTES // 60} hours (7 days); {silence} {data['unit']} is "
                    "outside that range. Leave it empty for no warning.",
                )
            data["silence_minutes"] = minutes
        else:
            data["silence_minutes"] = None
        opens, closes, days = data.get("opens_at"), data.get("closes_at"), data.get("weekdays")
        if any(v not in (None, []) for v in (opens, closes, days)):
            if opens is None or closes is None or not days:
                self.add_error(
                    None,
                    "Opening hours need an opening time, a closing time and at least one day. "
                    "Leave all three empty to count every hour.",
                )
            elif opens >= closes:
                self.add_error(
                    "closes_at",
                    f"The closing time must be after the opening time "
                    f"({opens:%H:%M}); opening hours end on the day they start.",
                )
        return data
