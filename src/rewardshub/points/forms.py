"""Forms of the reward menu settings and of awarding points (staff pages)."""

from __future__ import annotations

from typing import Any

from django import forms

from rewardshub.patients.models import Tag, TagGroupKind
from rewardshub.points.actions import MAX_MISC_POINTS
from rewardshub.points.models import RewardCategory, RewardItem
from rewardshub.practices.models import Practice

MAX_ITEM_POINTS = 100_000
MAX_REPEAT_DAYS = 3_650
MAX_POSITION = 10_000


def _clean_name(value: str, what: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise forms.ValidationError(f"Enter a {what} name.")
    return name


class CategoryForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Enter a category name.",
            "max_length": "A category name has at most 100 characters.",
        },
    )
    position = forms.IntegerField(
        label="Order",
        required=False,
        min_value=0,
        max_value=MAX_POSITION,
        help_text="Lower numbers come first.",
        error_messages={
            "invalid": "Enter the order as a whole number.",
            "min_value": "The order cannot be negative.",
            "max_value": f"The order is at most {MAX_POSITION:,}.",
        },
    )

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"], "category")

    def clean_position(self) -> int:
        return self.cleaned_data["position"] or 0


class ItemForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=RewardCategory.objects.none(),
        to_field_name="public_id",
        empty_label=None,
        error_messages={
            "required": "Choose a category.",
            "invalid_choice": "Choose one of the categories in the list.",
        },
    )
    name = forms.CharField(
        max_length=100,
        error_messages={
            "required": "Enter a reward name.",
            "max_length": "A reward name has at most 100 characters.",
        },
    )
    points = forms.IntegerField(
        min_value=1,
        max_value=MAX_ITEM_POINTS,
        error_messages={
            "required": "Enter how many points the reward gives.",
            "invalid": "Enter the points as a whole number.",
            "min_value": "A reward gives at least 1 point.",
            "max_value": f"A reward gives at most {MAX_ITEM_POINTS:,} points.",
        },
    )
    position = forms.IntegerField(
        label="Order",
        required=False,
        min_value=0,
        max_value=MAX_POSITION,
        error_messages={
            "invalid": "Enter the order as a whole number.",
            "min_value": "The order cannot be negative.",
            "max_value": f"The order is at most {MAX_POSITION:,}.",
        },
    )
    repeat_window_days = forms.IntegerField(
        label="Once every (days)",
        required=False,
        min_value=1,
        max_value=MAX_REPEAT_DAYS,
        help_text="Leave empty if it can be given at every visit.",
        error_messages={
            "invalid": "Enter the repeat window as a whole number of days.",
            "min_value": "The repeat window is at least 1 day; leave it empty for none.",
            "max_value": f"The repeat window is at most {MAX_REPEAT_DAYS:,} days.",
        },
    )
    auto_tag = forms.ModelChoiceField(
        label="Tag to give with it",
        queryset=Tag.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="(none)",
        error_messages={"invalid_choice": "Choose one of the tags in the list."},
    )
    active = forms.BooleanField(label="On the menu", required=False)

    def __init__(self, practice: Practice, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = RewardCategory.objects.filter(practice=practice)
        self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        # System tags (status, location) are set by their own rules, not by a reward.
        tags = Tag.objects.filter(
            practice=practice, group__kind=TagGroupKind.CUSTOM
        ).select_related("group")
        self.fields["auto_tag"].queryset = tags.order_by("group__name", "name")  # type: ignore[attr-defined]
        self.fields["auto_tag"].label_from_instance = (  # type: ignore[attr-defined]
            lambda tag: f"{tag.group.name}: {tag.name}"
        )

    def clean_name(self) -> str:
        return _clean_name(self.cleaned_data["name"], "reward")

    def clean_position(self) -> int:
        return self.cleaned_data["position"] or 0

    @classmethod
    def initial_for(cls, item: RewardItem) -> dict[str, Any]:
        return {
            "category": item.category.public_id,
            "name": item.name,
            "points": item.points,
            "position": item.position,
            "repeat_window_days": item.repeat_window_days,
            "auto_tag": item.auto_tag.public_id if item.auto_tag else None,
            "active": item.active,
        }


class AwardForm(forms.Form):
    """The ticked menu items (public ids; checked against the menu by the view)."""

    items = forms.TypedMultipleChoiceField(required=False, choices=())
    description = forms.CharField(max_length=300, required=False)

    def __init__(self, items: list[RewardItem], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.menu = {str(item.public_id): item for item in items}
        field = self.fields["items"]
        field.choices = [(key, item.name) for key, item in self.menu.items()]  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = (
            "One of those rewards is no longer on the menu. Reload the page and tick again."
        )

    def clean_items(self) -> list[RewardItem]:
        # A checkbox is ticked once: a repeated value in a crafted post counts once.
        chosen = [self.menu[key] for key in dict.fromkeys(self.cleaned_data["items"])]
        if not chosen:
            raise forms.ValidationError("Tick at least one reward to give.")
        return chosen

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())


class MiscForm(forms.Form):
    points = forms.IntegerField(
        min_value=1,
        max_value=MAX_MISC_POINTS,
        error_messages={
            "required": "Enter how many points to give.",
            "invalid": "Enter the points as a whole number.",
            "min_value": f"Misc points must be between 1 and {MAX_MISC_POINTS:,}.",
            "max_value": f"Misc points must be between 1 and {MAX_MISC_POINTS:,}.",
        },
    )
    description = forms.CharField(
        max_length=300,
        error_messages={
            "required": "Say why these points are given.",
            "max_length": "The description has at most 300 characters.",
        },
    )

    def clean_description(self) -> str:
        text = " ".join(self.cleaned_data["description"].split())
        if not text:
            raise forms.ValidationError("Say why these points are given.")
        return text


class ReverseForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        error_messages={
            "required": "Say why this entry is reversed.",
            "max_length": "The reason has at most 300 characters.",
        },
    )

    def clean_reason(self) -> str:
        text = " ".join(self.cleaned_data["reason"].split())
        if not text:
            raise forms.ValidationError("Say why this entry is reversed.")
        return text
