"""Forms of the staff patient pages: add member, edit details, search, tag changes."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from rewardshub.cards.forms import card_number_field, clean_card_pair, confirm_number_field
from rewardshub.patients.models import Tag, TagGroupKind
from rewardshub.patients.queries import active_locations, exclusive_group_tags
from rewardshub.practices.models import Location, Practice

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


class DateInput(forms.DateInput):
    input_type = "date"


class ProfileForm(forms.Form):
    """The demographics staff can set; field names are those of Profile."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    preferred_name = forms.CharField(label="Preferred name", max_length=100, required=False)
    birth_date = forms.DateField(label="Birth date", required=False, widget=DateInput())
    email = forms.EmailField(label="Email", max_length=254, required=False)
    phone_mobile = forms.CharField(
        label="Mobile phone", max_length=32, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    phone_home = forms.CharField(
        label="Home phone", max_length=32, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    responsible_party = forms.CharField(
        label="Responsible party", max_length=200, required=False,
        help_text="The parent or guardian, for patients under 18.",
    )
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        label="Location", queryset=None, to_field_name="public_id", empty_label="Choose a location"
    )

    def __init__(
        self,
        practice: Practice,
        *args: Any,
        current_location: Location | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        locations = active_locations(practice)
        if current_location is not None:
            # A patient of a since-closed location can still be edited as they are.
            locations = (locations | practice.locations.filter(pk=current_location.pk)).distinct()
        field = cast("forms.ModelChoiceField[Location]", self.fields["location"])
        field.queryset = locations
        # A practice without locations (not set up yet) must still add patients.
        field.required = locations.exists()

    def clean_birth_date(self) -> dt.date | None:
        born = self.cleaned_data.get("birth_date")
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError("The birth date is in the future. Check the date.")
        if born is not None and born < EARLIEST_BIRTH_DATE:
            raise forms.ValidationError("The birth date is before 1900. Check the year.")
        return born

    def demographics(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ProfileForm.base_fields}


class AddMemberForm(ProfileForm):
    """Add member: the demographics, an optional card (swiped, or typed twice) and a status."""

    card_number = card_number_field(required=False)
    confirm_card_number = confirm_number_field()
    status_tag: forms.ModelChoiceField[Tag] = forms.ModelChoiceField(
        label="Status tag", queryset=None, to_field_name="public_id", required=False,
        empty_label="No status yet",
    )

    field_order = ["card_number", "confirm_card_number"]

    def __init__(self, practice: Practice, *args: Any, **kwargs: Any) -> None:
        super().__init__(practice, *args, **kwargs)
        status = cast("forms.ModelChoiceField[Tag]", self.fields["status_tag"])
        status.queryset = exclusive_group_tags(practice, TagGroupKind.STATUS)
        # On this page a reader's Enter moves on to the names instead of submitting.
        self.fields["card_number"].widget.attrs["data-enter-next"] = "id_first_name"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["card"] = clean_card_pair(self, required=False)
        return cleaned


SEARCH_MAX = 300


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        max_length=SEARCH_MAX,
        required=False,
        error_messages={
            "max_length": f"A search holds at most {SEARCH_MAX} characters. Type part of the "
            "name, the phone number, the email, the username or the card number, or swipe "
            "the card.",
            "null_characters_not_allowed": "The search holds a null character, which no name "
            "or card has. Type it again, or swipe the card.",
        },
    )


class TagChangeForm(forms.Form):
    """One change on the profile's tags.

    set: the group's one tag becomes `tag` (none when blank); add / remove: `tag`.
    """

    OPS = (("set", "set"), ("add", "add"), ("remove", "remove"))

    op = forms.ChoiceField(choices=OPS)
    group = forms.UUIDField(required=False)
    tag = forms.UUIDField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        op = cleaned.get("op")
        if op == "set" and cleaned.get("group") is None:
            raise forms.ValidationError("Choose a tag group.")
        if op in ("add", "remove") and cleaned.get("tag") is None:
            raise forms.ValidationError("Choose a tag.")
        return cleaned
