"""The form of Settings > Card batches (issuing a batch from the browser)."""

from __future__ import annotations

from django import forms

from rewardshub.cards.sheets import MAX_SHEET_CARDS

# The issuing request builds the whole card list in memory and answers with it;
# bigger batches belong on the command line, which writes them straight to a file.
WEB_MAX_BATCH = 5_000


class IssueBatchForm(forms.Form):
    count = forms.IntegerField(
        label="Number of cards",
        help_text=f"1 to {WEB_MAX_BATCH:,}. For more, run “rewardshub cards issue” on the server.",
        error_messages={
            "required": "Enter how many cards to issue.",
            "invalid": "Enter the number of cards as a whole number, e.g. 100.",
        },
    )
    label = forms.CharField(
        label="Label (optional)",
        max_length=200,
        required=False,
        help_text="For your records, e.g. “Spring 2026 printing”.",
    )

    format = forms.ChoiceField(
        label="Card list as",
        choices=[
            ("csv", "CSV file, for a card printing company"),
            ("pdf", "PDF card sheets, to print on your own printer (10 cards per Letter sheet)"),
        ],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose the CSV file or the PDF card sheets."},
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "csv"

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        count = cleaned.get("count")
        if cleaned.get("format") == "pdf" and isinstance(count, int) and count > MAX_SHEET_CARDS:
            self.add_error(
                "count",
                f"PDF card sheets hold up to {MAX_SHEET_CARDS:,} cards at a time; {count:,} "
                "was asked for. Issue fewer, or choose the CSV file for a card printer.",
            )
        return cleaned

    def clean_count(self) -> int:
        count = self.cleaned_data["count"]
        if not 1 <= count <= WEB_MAX_BATCH:
            raise forms.ValidationError(
                f"Issue from 1 to {WEB_MAX_BATCH:,} cards at a time here; {count:,} was asked "
                "for. For bigger batches run “rewardshub cards issue” on the server."
            )
        return count
