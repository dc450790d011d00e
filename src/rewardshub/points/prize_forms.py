"""Forms for the prize catalog, orders and reports (validation at the edge)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from rewardshub.points.prize_pictures import (
    PICTURE_HELP,
    PictureError,
    PreparedPicture,
    prepare_picture,
)


class PictureField(forms.FileField):
    """A picture upload, checked and re-encoded (prize_pictures.py): it cleans to the
    copy to store, never the upload, or None when no file was sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", PICTURE_HELP)
        kwargs.setdefault("error_messages", {"empty": "That file is empty. " + PICTURE_HELP})
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> PreparedPicture | None:
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return prepare_picture(upload)
        except PictureError as exc:
            raise forms.ValidationError(exc.message) from None


class PrizeForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    cost = forms.IntegerField(
        label="Points cost",
        min_value=1,
        max_value=1_000_000,
        error_messages={"min_value": "A prize costs at least 1 point."},
    )
    stock = forms.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text="Leave empty when there is no limit.",
        error_messages={"min_value": "Stock cannot be negative."},
    )
    active = forms.BooleanField(
        required=False, initial=True, label="Offered to patients"
    )
    picture = PictureField()
    remove_picture = forms.BooleanField(required=False, label="Remove the picture")

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the prize a name.")
        return name

    def data_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"].strip(),
            "cost": data["cost"],
            "stock": data["stock"],
            "active": data["active"],
        }


class CancelOrderForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        error_messages={"required": "Say why the order is cancelled."},
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("Say why the order is cancelled.")
        return reason


class PeriodForm(forms.Form):
    """A date range, both days included, in the practice's time zone."""

    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 3660

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if start > end:
                raise forms.ValidationError("The start date is after the end date.")
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError("Pick a period of at most ten years.")
        return data
