"""Is a hub patient one of the practice's leads? A pure rule, no Django.

A chart that syncs from the PMS matches a lead when they agree on first name,
last name and birth date (compared as the identity check compares them:
without regard to case, accents or spaces; the patient's preferred name may
match the lead's first name), or on email and last name. Email alone is not
enough: siblings share one. A value missing on either side matches nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rewardshub.integrations.identity import fold

NAME_BIRTH, EMAIL = "name_birth", "email"


@dataclass(frozen=True)
class Person:
    first_name: str = ""
    last_name: str = ""
    preferred_name: str = ""
    birth_date: dt.date | None = None
    email: str = ""


def _email(value: str) -> str:
    return value.strip().casefold()


def match_basis(lead: Person, patient: Person) -> str | None:
    """NAME_BIRTH or EMAIL when the patient may be the lead; None when not."""
    last = fold(lead.last_name)
    if not last or last != fold(patient.last_name):
        return None
    given = {fold(lead.first_name), fold(lead.preferred_name)} - {""}
    if (
        given & ({fold(patient.first_name), fold(patient.preferred_name)} - {""})
        and lead.birth_date is not None
        and lead.birth_date == patient.birth_date
    ):
        return NAME_BIRTH
    if _email(lead.email) and _email(lead.email) == _email(patient.email):
        return EMAIL
    return None
