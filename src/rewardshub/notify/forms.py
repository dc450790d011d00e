from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from rewardshub.notify.kinds import OPT_IN


class PreferencesForm(forms.Form):
    """One checkbox per opt-in kind of mail; an unticked box turns the kind off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in OPT_IN:
            self.fields[kind.value] = forms.BooleanField(
                label=gettext_lazy(kind.choice), required=False
            )

    def wanted(self) -> dict[str, bool]:
        return {kind.value: bool(self.cleaned_data.get(kind.value)) for kind in OPT_IN}
