"""The rule that says whether a hub patient may be a lead: no database."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rewardshub.integrations.identity import fold
from rewardshub.leads.matching import EMAIL, NAME_BIRTH, Person, match_basis

BORN = dt.date(2013, 2, 9)
MIA = Person("Mia", "Lopez", "", BORN, "mia@example.com")


def test_it_matches_names_and_birth_date_without_regard_to_case_accents_or_spaces() -> None:
    assert match_basis(MIA, Person("MIA", "López ", "", BORN)) == NAME_BIRTH
    assert (
        match_basis(Person("Mia", "Da Silva", "", BORN), Person("mia", "dasilva", "", BORN))
        == NAME_BIRTH
    )


def test_the_patients_preferred_name_may_match_the_leads_first_name() -> None:
    assert match_basis(MIA, Person("Amelia", "Lopez", "Mia", BORN)) == NAME_BIRTH


def test_it_matches_email_and_last_name() -> None:
    assert match_basis(MIA, Person("Amelia", "Lopez", "", None, " MIA@example.com")) == EMAIL


def test_email_alone_or_names_alone_are_not_enough() -> None:
    sibling = Person("Max", "Reyes", "", None, "mia@example.com")
    no_birth = Person("Mia", "Lopez", "", None, "")
    other_birth = Person("Mia", "Lopez", "", dt.date(2013, 9, 2), "")
    assert [match_basis(MIA, p) for p in (sibling, no_birth, other_birth)] == [None, None, None]


def test_a_missing_value_matches_nothing() -> None:
    blank = Person("", "", "", None, "")
    assert match_basis(blank, blank) is None
    assert match_basis(Person("Mia", "Lopez"), Person("Mia", "Lopez")) is None


@given(
    first=st.text(max_size=20),
    last=st.text(max_size=20),
    born=st.dates(),
)
def test_a_person_matches_themselves_exactly_when_both_names_have_letters(
    first: str, last: str, born: dt.date
) -> None:
    person = Person(first, last, "", born, "")
    spaced = Person(f" {first} ", f"{last}  ", "", born, "")

    expected = NAME_BIRTH if fold(first) and fold(last) else None
    assert match_basis(person, spaced) == expected
