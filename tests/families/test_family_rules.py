"""Which emails may suggest a family: a rule with no Django in it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rewardshub.families.rules import is_placeholder, normalize_email


def test_it_treats_made_up_addresses_as_placeholders() -> None:
    for email in (
        "",
        "   ",
        "noemail@gmail.com",
        "NONE@yahoo.com",
        "test@practice.com",
        "no.email@x.org",
        "xxx@gmail.com",
        "000@gmail.com",
        "jordan@noemail.com",
        "not-an-address",
        "jordan@localhost",
    ):
        assert is_placeholder(email), email


def test_it_keeps_real_addresses() -> None:
    for email in ("jordan.parent@family.test", "Pat.Smith@Gmail.com", "x1@mail.org", "a@b.co"):
        assert not is_placeholder(email), email


def test_it_normalizes_case_and_spaces() -> None:
    assert normalize_email("  Jordan.Parent@Family.TEST ") == "jordan.parent@family.test"


@given(st.emails())
def test_it_decides_the_same_whatever_the_case_and_spacing(email: str) -> None:
    variant = f"  {email.upper()}\t"
    assert is_placeholder(variant) == is_placeholder(email)
