"""Family forms: validation at the edge; the rules live in families.rules and families.actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rewardshub.families.rules import is_placeholder, normalize_email


class GuardianLoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ChooseChildForm(forms.Form):
    child = forms.UUIDField(widget=forms.HiddenInput)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Parent or guardian’s email",
        max_length=254,
        error_messages={
            "required": "Type the parent or guardian’s email. Nothing was changed.",
            "invalid": "That isn’t an email address. Check it and try again. Nothing was changed.",
        },
    )

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        if is_placeholder(email):
            raise forms.ValidationError(
                "That looks like a placeholder address, not the guardian’s own. Ask them for "
                "their real email and type it here. Nothing was changed."
            )
        return email
