"""The Branding settings form: the logo upload and the two colours, checked for contrast."""

from __future__ import annotations

from typing import Any

from django import forms

from rewardshub.branding.contrast import ColourError, parse_colour, problems
from rewardshub.points.prize_forms import PictureField

COLOUR_HELP = (
    "# and six hexadecimal digits, e.g. {example}. Leave it empty for the hub's own colour."
)


def _colour_field(label: str, example: str, what: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        required=False,
        help_text=f"{what} {COLOUR_HELP.format(example=example)}",
        widget=forms.TextInput(
            attrs={"placeholder": example, "spellcheck": "false", "autocomplete": "off"}
        ),
    )


class BrandingForm(forms.Form):
    logo = PictureField(
        label="Logo",
        help_text="Shown in the portal's header, at the top of every mail and on the card "
        "sheets. A JPEG, PNG, GIF or WebP picture of at most 2 MB and 25 megapixels; a PNG "
        "with a transparent background looks best.",
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")
    primary_colour = _colour_field(
        "Primary colour",
        "#1d4ed8",
        "The background of the portal's header and of the mails' header; its text is white, "
        "or near-black on a light colour.",
    )
    accent_colour = _colour_field(
        "Accent colour",
        "#b45309",
        "The portal's marker of the current page and the ring around what the keyboard is on.",
    )

    def _clean_colour(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        if not value.strip():
            return ""
        try:
            return parse_colour(value)
        except ColourError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_primary_colour(self) -> str:
        return self._clean_colour("primary_colour")

    def clean_accent_colour(self) -> str:
        return self._clean_colour("accent_colour")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A colour that is not one has its own error already: "" skips its check.
        for problem in problems(data.get("primary_colour", ""), data.get("accent_colour", "")):
            self.add_error(problem.field, problem.message)
        return data
