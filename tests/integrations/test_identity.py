"""The pure rule deciding whether a chart and a hub profile are the same patient."""

from __future__ import annotations

import datetime as dt
import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from rewardshub.integrations.identity import Identity, differences, fold, in_words

names = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Zs"), max_codepoint=0x24F),
    max_size=30,
)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))
BORN = dt.date(2010, 5, 9)


def test_it_ignores_case_accents_and_spaces() -> None:
    assert fold("  José  Da\u00a0Silva ") == fold("jose dasilva") == "josedasilva"
    assert fold("ZOË") == fold("zoe")
    assert fold("Straße") == fold("STRASSE")


@given(names)
def test_folding_twice_changes_nothing(name: str) -> None:
    assert fold(fold(name)) == fold(name)


@given(names)
def test_case_spaces_and_accents_never_make_a_difference(name: str) -> None:
    # Letters whose capital folds to another letter ("ı" -> "I" -> "i") are different letters.
    assume(name.upper().casefold() == name.casefold())
    accented = unicodedata.normalize(
        "NFC", "".join(char + "\u0301" if char.isalpha() else char for char in name)
    )
    spaced = " ".join(name.upper())
    assert fold(accented) == fold(name) == fold(spaced)


@given(names, names, dates)
def test_a_chart_always_matches_the_same_values(first: str, last: str, born: dt.date) -> None:
    person = Identity(first_name=first, last_name=last, birth_date=born)
    given_names = (("first_name", first), ("last_name", last))
    expected = [name for name, value in given_names if not fold(value)]
    assert differences(person, person) == expected


@given(names, names, st.one_of(st.none(), dates), names, names, st.one_of(st.none(), dates))
def test_it_is_symmetric(
    first: str, last: str, born: dt.date | None, first2: str, last2: str, born2: dt.date | None
) -> None:
    one = Identity(first_name=first, last_name=last, birth_date=born)
    two = Identity(first_name=first2, last_name=last2, birth_date=born2)
    assert differences(one, two) == differences(two, one)


def test_a_missing_value_on_either_side_is_a_difference() -> None:
    full = Identity("Emma", "Johnson", birth_date=BORN)
    assert differences(Identity("Emma", "Johnson"), full) == ["birth_date"]
    assert differences(full, Identity("Emma", "Johnson")) == ["birth_date"]
    assert differences(Identity("", "Johnson", birth_date=BORN), full) == ["first_name"]
    assert differences(full, Identity("Emma", " ", birth_date=BORN)) == ["last_name"]


def test_it_names_each_field_that_differs() -> None:
    hub = Identity("Emma", "Johnson", birth_date=BORN)
    assert differences(Identity("Emily", "Johnson", birth_date=BORN), hub) == ["first_name"]
    assert differences(Identity("Emma", "Jonson", birth_date=BORN), hub) == ["last_name"]
    other_day = Identity("Emma", "Johnson", birth_date=dt.date(2010, 9, 5))
    assert differences(other_day, hub) == ["birth_date"]


def test_a_preferred_name_stands_for_the_first_name() -> None:
    hub = Identity("Isabella", "Rossi", preferred_name="Bella", birth_date=BORN)
    assert differences(Identity("Bella", "Rossi", birth_date=BORN), hub) == []
    chart = Identity("Robert", "Rossi", preferred_name="Isabella", birth_date=BORN)
    assert differences(chart, hub) == []


def test_it_says_the_fields_in_words() -> None:
    assert in_words(["birth_date"]) == "birth date"
    assert in_words(["first_name", "last_name", "birth_date"]) == (
        "first name, last name and birth date"
    )
