"""Finding a practice's patients by phone number or email, from the search box.

Phone numbers are kept as they were typed or synced ("(770) 555-0101",
"+1 770-555-0101", ...), so both sides are compared as digits: the stored
number with its punctuation taken out (in SQL, on SQLite and PostgreSQL alike)
ends with the last ten digits typed. "+1 770 555 0101", "770-555-0101" and
"7705550101" all find "(770) 555-0101".
"""

from __future__ import annotations

import re

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-]+$")
_PHONE_MARKS = re.compile(r"[+().]")
# A national number has ten digits (eleven with the country code 1); fewer are
# matched only when written like one ("(770) 555-0101", "+44 20 7946 0958").
_NATIONAL = 10
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15  # E.164
_PUNCTUATION = (" ", "-", "(", ")", ".", "+")
PHONE_FIELDS = ("phone_mobile", "phone_home")


def phone_digits(text: str) -> str:
    """The digits of `text` when it reads as a phone number rather than a card number, else ""."""
    text = text.strip()
    if not _PHONE_CHARS.match(text):
        return ""
    digits = re.sub(r"\D", "", text)
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        return ""
    national = len(digits) == _NATIONAL or (len(digits) == _NATIONAL + 1 and digits[0] == "1")
    return digits if national or _PHONE_MARKS.search(text) else ""


def is_email_input(text: str) -> bool:
    text = text.strip()
    return "@" in text and not any(char.isspace() for char in text)


def _digits_of(field: str) -> F | Replace:
    expression: F | Replace = F(field)
    for char in _PUNCTUATION:
        expression = Replace(expression, Value(char), Value(""))
    return expression


def search_by_phone(practice: Practice, digits: str) -> QuerySet[Profile]:
    """The practice's profiles whose mobile or home number ends with the typed number."""
    key = digits[-_NATIONAL:]
    found = Profile.objects.filter(practice=practice, merged_into__isnull=True).annotate(
        **{f"{field}_digits": _digits_of(field) for field in PHONE_FIELDS}
    )
    match = Q()
    for field in PHONE_FIELDS:
        match |= Q(**{f"{field}_digits__endswith": key})
    return found.filter(match)


def search_by_email(practice: Practice, text: str) -> QuerySet[Profile]:
    """The practice's profiles whose email holds the typed text, whatever the case."""
    return Profile.objects.filter(
        practice=practice, merged_into__isnull=True, email__icontains=text.strip()
    )
