from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator

from rewardshub.practices.models import Role
from rewardshub.practices.time_zones import canonical_zone, zone_options


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


# --- Settings (owners and admins) -----------------------------------------

MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 5, 240


def _clean_name(value: str, what: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise forms.ValidationError(f"Enter a {what} name.")
    return name


class PracticeInfoForm(forms.Form):
    name = forms.CharField(label="Practice name", max_length=200)
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="Times in the hub (audit log, activity) are shown in this zone. Type to search "
        "the common zones, or type any zone name, e.g. America/Boise.",
        widget=forms.TextInput(
            attrs={"list": "time-zone-list", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    idle_timeout_minutes = forms.IntegerField(
        label="Sign out after idle minutes",
        help_text=f"From {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes.",
        error_messages={"invalid": "Enter the idle timeout as a whole number of minutes."},
    )
    misc_requires_approval = forms.BooleanField(
        label="Misc points wait for approval",
        required=False,
        help_text="Misc points given by staff count only once an owner or admin approves them.",
    )

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"], "practice")

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        zone = canonical_zone(value)
        if zone is None:
            raise forms.ValidationError(
                f"“{value}” is not a time zone. Choose one from the list, e.g. America/New_York."
            )
        return zone

    @property
    def zone_options(self) -> list[tuple[str, str]]:
        """The common zones the time zone box suggests (its datalist)."""
        return zone_options()

    def clean_idle_timeout_minutes(self) -> int:
        value = self.cleaned_data["idle_timeout_minutes"]
        if not MIN_IDLE_MINUTES <= value <= MAX_IDLE_MINUTES:
            raise forms.ValidationError(
                f"The idle timeout must be from {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} "
                f"minutes; {value} is outside that range."
            )
        return value


class NameForm(forms.Form):
    """One name: a location, a tag or a tag group (`what` names it in messages)."""

    name = forms.CharField(max_length=100)

    def __init__(self, *args: Any, what: str = "location", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.what = what
        self.fields["name"].error_messages["required"] = f"Enter a {what} name."
        self.fields["name"].error_messages["max_length"] = (
            f"A {what} name has at most 100 characters."
        )

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"], self.what)


class StaffAddForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and . @ + - _ only. They sign in with it.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        required=False,
        max_length=254,
        error_messages={"invalid": "Enter a valid email address, or leave it empty."},
    )
    password = forms.CharField(
        label="Initial password",
        max_length=200,
        help_text="Give it to them in person; they can change it later.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    role = forms.ChoiceField(choices=Role.choices)

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        try:
            UnicodeUsernameValidator()(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                "A username may hold only letters, digits and . @ + - _ (no spaces)."
            ) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "password" in data and "username" in data:
            user = get_user_model()(username=data["username"], email=data.get("email", ""))
            try:
                validate_password(data["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=Role.choices,
        error_messages={"invalid_choice": "Choose one of the roles in the list."},
    )
