"""Forms of the integration settings pages; `clean_*` tidies and checks the input."""

from __future__ import annotations

from typing import Any

from django import forms

from rewardshub.integrations.models import SyncAction, TagRuleField
from rewardshub.integrations.origins import OriginError, parse_origins
from rewardshub.integrations.systems import SYSTEM_CHOICES
from rewardshub.patients.models import Tag


class KeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Where the key is used, e.g. “Front desk PC” or “Orthotrac server”.",
    )
    system = forms.ChoiceField(choices=SYSTEM_CHOICES, initial="orthotrac", label="PMS system")

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


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
