"""The "Card number" field pair used wherever staff give a card: connect, replace, add member.

A reader's swipe (it starts with % or ;) stands on its own: the stripe
cannot be mistyped. A typed number must be typed twice.
"""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from rewardshub.cards.numbers import CardInputError, parse_card_input

MISMATCH = "The two numbers do not match. Type the card number again in both fields."
CONFIRM_MISSING = "Type the card number a second time in Confirm card number, or swipe the card."
EMPTY = "Enter a card number, or swipe the card."
# The id of the element that wraps the confirm field; hub.js hides it during a swipe.
CONFIRM_WRAPPER_ID = "confirm-card"
CARD_FIELDS = ("card_number", "confirm_card_number")


def card_number_field(*, required: bool, autofocus: bool = False) -> forms.CharField:
    attrs = {
        "data-card-input": "",
        "data-confirm": CONFIRM_WRAPPER_ID,
        # Card numbers must not end up in the browser's form history.
        "autocomplete": "off",
        "autocapitalize": "off",
        "spellcheck": "false",
    }
    if autofocus:
        attrs["autofocus"] = ""
    return forms.CharField(
        label="Card number",
        required=required,
        max_length=300,  # both tracks of a stripe with a long name
        error_messages={"required": EMPTY},
        widget=forms.TextInput(attrs=attrs),
    )


def confirm_number_field() -> forms.CharField:
    return forms.CharField(
        label="Confirm card number",
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


def clean_card_pair(form: forms.Form, *, required: bool) -> str | None:
    """The 16-digit number of the card fields, or None (with errors added to `form`)."""
    raw = form.cleaned_data.get("card_number", "")
    if not raw.strip():
        if required and "card_number" not in form.errors:
            form.add_error("card_number", EMPTY)
        return None
    try:
        parsed = parse_card_input(raw)
    except CardInputError as exc:
        form.add_error("card_number", exc.message)
        return None
    if parsed.swiped:
        return parsed.number
    confirm = form.cleaned_data.get("confirm_card_number", "")
    if not confirm.strip():
        form.add_error("confirm_card_number", CONFIRM_MISSING)
        return None
    try:
        confirmed = parse_card_input(confirm).number
    except CardInputError:
        confirmed = ""
    if confirmed != parsed.number:
        form.add_error("confirm_card_number", MISMATCH)
        return None
    return parsed.number


def forget_card_input(form: forms.Form) -> None:
    """Blank the card fields before showing the form again, so a retry starts clean."""
    if form.is_bound:
        data = form.data.copy() if isinstance(form.data, QueryDict) else dict(form.data)
        for name in CARD_FIELDS:
            data[name] = ""
        form.data = data


class CardForm(forms.Form):
    """Connect Card and Replace Card: one card, swiped or typed twice."""

    card_number = card_number_field(required=True, autofocus=True)
    confirm_card_number = confirm_number_field()
    # Connect Card: the last 4 digits of the card a PMS set as the username, when
    # staff confirmed that the card they connect instead retires it.
    retire_set_card = forms.CharField(required=False, max_length=4, widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        cleaned["number"] = clean_card_pair(self, required=True)
        return cleaned
