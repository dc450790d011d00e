"""Portal forms: validation at the edge; the rules live in portal.auth and portal.actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rewardshub.portal.language import choices

MIN_PASSWORD = 8


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Card number or username"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=format_lazy(
            _("At least {count} characters. Not something easy to guess."), count=MIN_PASSWORD
        ),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2", gettext("The two passwords are not the same. Type them again.")
            )
        elif first:
            if len(first) < MIN_PASSWORD:
                self.add_error(
                    "password1",
                    gettext("Your password needs at least %(count)d characters.")
                    % {"count": MIN_PASSWORD},
                )
            else:
                try:
                    validate_password(first)
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class ActivateForm(NewPasswordForm):
    last_name = forms.CharField(
        label=_("Your last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text=_("So we know it’s really you."),
    )
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Then you can log in with it too, and reset a forgotten password."),
    )

    field_order = ["last_name", "password1", "password2", "email"]


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
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
        label=_("Why? (optional)"),
        required=False,
        max_length=CANCEL_REASON_MAX,
        error_messages={
            "max_length": format_lazy(
                _(
                    "Keep the reason under {count} characters, or leave it empty. "
                    "Nothing was changed."
                ),
                count=CANCEL_REASON_MAX,
            )
        },
    )

    def clean_reason(self) -> str:
        return " ".join(self.cleaned_data["reason"].split())


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a language from the list. Nothing was changed."),
            "invalid_choice": _("Choose a language from the list. Nothing was changed."),
        },
    )
