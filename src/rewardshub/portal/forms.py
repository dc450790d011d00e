"""Portal forms: validation at the edge; the rules live in portal.auth and portal.actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password

MIN_PASSWORD = 8


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label="Card number or username",
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=f"At least {MIN_PASSWORD} characters. Not something easy to guess.",
    )
    password2 = forms.CharField(
        label="New password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same. Type them again.")
        elif first:
            if len(first) < MIN_PASSWORD:
                self.add_error(
                    "password1", f"Your password needs at least {MIN_PASSWORD} characters."
                )
            else:
                try:
                    validate_password(first)
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class ActivateForm(NewPasswordForm):
    last_name = forms.CharField(
        label="Your last name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text="So we know it’s really you.",
    )
    email = forms.EmailField(
        label="Email (optional)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="Then you can log in with it too, and reset a forgotten password.",
    )

    field_order = ["last_name", "password1", "password2", "email"]


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ConfirmOrderForm(forms.Form):
    """The "Yes, order it" button: its token, made when the confirmation page
    was shown, lets a button pressed twice place the order once."""

    token = forms.UUIDField(widget=forms.HiddenInput)


# Short enough that "Order of <prize> cancelled in the portal: <reason>" fits
# the ledger entry's description.
CANCEL_REASON_MAX = 150


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        label="Why? (optional)",
        required=False,
        max_length=CANCEL_REASON_MAX,
        error_messages={
            "max_length": f"Keep the reason under {CANCEL_REASON_MAX} characters, or leave it "
            "empty. Nothing was changed."
        },
    )

    def clean_reason(self) -> str:
        return " ".join(self.cleaned_data["reason"].split())
