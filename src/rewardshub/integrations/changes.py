"""What a sync changed on a profile, in words a front desk reads
("Email updated from old@example.com to new@example.com").

These sentences carry patient data: they go to the PMS's answer and the
hub window that follows it, never to a URL, a log line or the audit log
(which names the fields only).
"""

from __future__ import annotations

import datetime as dt

from rewardshub.integrations.tagging import Mapped
from rewardshub.patients.models import Profile

LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Preferred name",
    "birth_date": "Birth date",
    "email": "Email",
    "phone_mobile": "Mobile phone",
    "phone_home": "Home phone",
    "responsible_party": "Responsible party",
    "location": "Location",
    "tags": "Tags",
}


_NOT_FIELDS = ("location", "tags")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def snapshot(profile: Profile) -> dict[str, str]:
    """The profile's values a sync may change, as text (read fresh from the database)."""
    fresh = Profile.objects.select_related("location").get(pk=profile.pk)
    values = {name: _text(getattr(fresh, name)) for name in LABELS if name not in _NOT_FIELDS}
    values["location"] = fresh.location.name if fresh.location is not None else ""
    values["tags"] = ", ".join(sorted(fresh.tags.values_list("name", flat=True)))
    return values


def describe(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One sentence per value that differs, in LABELS order."""
    sentences = []
    for name, label in LABELS.items():
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        if not old:
            sentences.append(f"{label} set to {new}")
        elif not new:
            sentences.append(f"{label} cleared (was {old})")
        else:
            sentences.append(f"{label} updated from {old} to {new}")
    return sentences


def proposed(profile: Profile, data: dict[str, object], mapped: Mapped) -> list[str]:
    """What applying the chart's demographics and mapped tags would change, unapplied."""
    before = snapshot(profile)
    after = dict(before)
    for name, value in data.items():
        if name in LABELS and name not in _NOT_FIELDS:
            after[name] = _text(value)
    if mapped.location is not None:
        after["location"] = mapped.location.name
    if mapped.tags:
        names = set(profile.tags.values_list("name", flat=True))
        for tag in mapped.tags:
            if tag.group.exclusive:
                # A status or location tag takes the place of its group's other one.
                names -= set(tag.group.tags.values_list("name", flat=True))
            names.add(tag.name)
        after["tags"] = ", ".join(sorted(names))
    return describe(before, after)
