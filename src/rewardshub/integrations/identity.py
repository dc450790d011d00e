"""Does a PMS chart describe the same person as a hub profile? A pure rule, no Django.

Set card may link a chart to a profile that already exists (the number is its
username or its active card). Linking the wrong one mixes two patients'
records, so the hub links at once only when the chart and the profile agree
on first name, last name and birth date. Names are compared without regard
to case, accents or spaces ("José  Da Silva" = "jose dasilva"); the chart's
first name or preferred name may match the profile's first or preferred
name ("Bella" for "Isabella"). A value missing on either side is a
difference: nothing shows it is the same person.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

# The fields that decide, in the order they are reported.
IDENTITY_FIELDS = ("first_name", "last_name", "birth_date")
FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "birth_date": "birth date",
}


def fold(value: str | None) -> str:
    """A name as compared: casefolded, accents and every white space removed."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    kept = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Casefolding after NFKD can compose nothing new, but NFKD can turn a
    # compatibility character into upper case ("Ⅰ" -> "I"): fold once more.
    return "".join(kept.casefold().split())


@dataclass(frozen=True)
class Identity:
    first_name: str = ""
    last_name: str = ""
    preferred_name: str = ""
    birth_date: dt.date | None = None


def _given_names(person: Identity) -> set[str]:
    return {fold(person.first_name), fold(person.preferred_name)} - {""}


def differences(chart: Identity, profile: Identity) -> list[str]:
    """The identity fields on which the chart and the profile do not agree (empty: same)."""
    found = []
    if not _given_names(chart) & _given_names(profile):
        found.append("first_name")
    last = fold(chart.last_name)
    if not last or last != fold(profile.last_name):
        found.append("last_name")
    birth = chart.birth_date
    if birth is None or profile.birth_date is None or birth != profile.birth_date:
        found.append("birth_date")
    return found


def in_words(fields: list[str]) -> str:
    """["first_name", "birth_date"] -> "first name and birth date"."""
    labels = [FIELD_LABELS.get(name, name) for name in fields]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]
