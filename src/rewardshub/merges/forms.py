from __future__ import annotations

from django import forms


class MergeForm(forms.Form):
    """The confirm step: staff tick that both profiles are the same person."""

    confirm = forms.BooleanField(
        label="These are the same patient: merge them",
        error_messages={"required": "Tick the box to confirm that these are the same patient."},
    )
