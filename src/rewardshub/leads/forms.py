"""Forms of the lead pages (staff) and of the portal's Refer a friend."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rewardshub.leads.models import LeadSource, LeadStatus
from rewardshub.patients.forms import EARLIEST_BIRTH_DATE, SEARCH_MAX, DateInput

# Lazy: the staff pages read them in English, the portal in the patient's language.
CONTACT_REQUIRED = _("Enter an email or a phone number, so the practice can reach them.")


def _phone_field(label: Any = "Phone") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={"max_length": _("A phone number has at most 32 characters.")},
    )


def _clean_phone(value: str) -> str:
    phone = " ".join(value.split())
    if phone and len(re.sub(r"[^0-9]", "", phone)) < 7:
        raise forms.ValidationError(_("A phone number has at least 7 digits, e.g. 770-555-0123."))
    return phone


class _Contact(forms.Form):
    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(CONTACT_REQUIRED)
        return data


class LeadForm(_Contact):
    """Add or edit a lead. `referred_by` is the referring patient's hub username."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(label="Email", max_length=254, required=False)
    phone = _phone_field()
    birth_date = forms.DateField(label="Birth date", required=False, widget=DateInput())
    source = forms.ChoiceField(
        label="Source",
        choices=LeadSource.choices,
        error_messages={"invalid_choice": "Pick one of the sources listed."},
    )
    referred_by = forms.CharField(
        label="Referred by (patient's username)",
        max_length=40,
        required=False,
        help_text="The 16-digit username of the patient who referred them, from their profile.",
    )
    notes = forms.CharField(
        label="Notes",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Notes have at most 2,000 characters."},
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Who referred a lead is set once, when it is added.
            del self.fields["referred_by"]

    def clean_birth_date(self) -> dt.date | None:
        born = self.cleaned_data.get("birth_date")
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError("The birth date is in the future. Check the date.")
        if born is not None and born < EARLIEST_BIRTH_DATE:
            raise forms.ValidationError("The birth date is before 1900. Check the year.")
        return born

    def clean_referred_by(self) -> str:
        value = re.sub(r"[\s-]", "", self.cleaned_data.get("referred_by", ""))
        if value and not re.fullmatch(r"[0-9]{16}", value):
            raise forms.ValidationError(
                "A username has 16 digits. Copy it from the patient's profile, or leave it empty."
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("referred_by") and data.get("source") not in (None, LeadSource.REFERRAL):
            self.add_error("source", "A lead a patient referred has the source Referral.")
        return data

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "referred_by"}


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=LeadStatus.choices,
        error_messages={"invalid_choice": "Pick one of the statuses listed."},
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "All"), *LeadStatus.choices], required=False)


class ReferForm(_Contact):
    """The portal's Refer a friend: who, and how to reach them."""

    first_name = forms.CharField(
        label=_("Your friend's first name"),
        max_length=100,
        error_messages={"required": _("Enter your friend's first name.")},
    )
    last_name = forms.CharField(
        label=_("Your friend's last name"),
        max_length=100,
        error_messages={"required": _("Enter your friend's last name.")},
    )
    email = forms.EmailField(
        label=_("Their email"),
        max_length=254,
        required=False,
        error_messages={"invalid": _("Enter an email like name@example.com.")},
    )
    phone = _phone_field(_("Their phone"))

    def clean_first_name(self) -> str:
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())


class ConvertSearchForm(forms.Form):
    """Find the patient a lead became, as the Search patients box finds one."""

    q = forms.CharField(
        label="Find the patient",
        max_length=SEARCH_MAX,
        error_messages={
            "required": "Type part of the patient's name, their username or card number, "
            "or swipe their card.",
            "max_length": f"A search holds at most {SEARCH_MAX} characters. Type part of the "
            "name, the username or the card number, or swipe the card.",
            "null_characters_not_allowed": "The search holds a null character, which no name "
            "or card has. Type it again, or swipe the card.",
        },
    )


class ConvertForm(forms.Form):
    """The patient staff picked (by opaque id), and whether they confirmed."""

    profile = forms.UUIDField(
        error_messages={
            "required": "Pick a patient from the search.",
            "invalid": "Pick a patient from the search.",
        }
    )
    confirm = forms.BooleanField(required=False)
