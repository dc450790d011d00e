"""The collection rule on days alone (campaigns/rules.py): no database."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rewardshub.campaigns.rules import refusal, slot

DEC_5 = dt.date(2026, 12, 5)
DEC_6 = dt.date(2026, 12, 6)


def _refusal(**changes: object) -> object:
    args: dict[str, object] = {
        "active": True,
        "valid_from": dt.date(2026, 12, 1),
        "valid_until": None,
        "repeat_days": None,
        "last_collected": None,
        "today": DEC_5,
        **changes,
    }
    return refusal(**args)  # type: ignore[arg-type]


def test_it_pays_a_first_scan_on_a_valid_day() -> None:
    assert _refusal() is None


def test_it_refuses_a_code_collected_once_in_words() -> None:
    found = _refusal(last_collected=DEC_5, today=DEC_6)
    assert found is not None
    assert found.message == "You collected this on Dec 5; it can be collected only once."


def test_it_says_when_a_daily_code_can_be_collected_again() -> None:
    found = _refusal(repeat_days=1, last_collected=DEC_5)
    assert found is not None
    assert found.message == "You collected this on Dec 5; you can again on Dec 6."
    assert _refusal(repeat_days=1, last_collected=DEC_5, today=DEC_6) is None


def test_it_counts_every_few_days_from_the_last_collection() -> None:
    found = _refusal(repeat_days=7, last_collected=dt.date(2026, 11, 30))
    assert found is not None
    assert found.message == "You collected this on Nov 30; you can again on Dec 7."
    assert _refusal(repeat_days=7, last_collected=dt.date(2026, 11, 28)) is None


def test_it_names_the_year_of_a_day_in_another_year() -> None:
    found = _refusal(repeat_days=7, last_collected=dt.date(2026, 12, 30), today=dt.date(2027, 1, 2))
    assert found is not None
    assert found.message == "You collected this on Dec 30, 2026; you can again on Jan 6."


def test_it_refuses_before_the_first_day_and_after_the_last() -> None:
    early = _refusal(valid_from=DEC_6)
    assert early is not None and early.code == "qr_not_yet"
    assert early.message == "This code is not active yet: you can collect it from Dec 6."
    late = _refusal(valid_until=dt.date(2026, 12, 4))
    assert late is not None and late.code == "qr_expired"
    assert late.message == "This code expired on Dec 4: it gives no more points."
    assert _refusal(valid_from=DEC_5, valid_until=DEC_5) is None


def test_it_says_so_when_the_code_ends_before_the_next_collection() -> None:
    found = _refusal(repeat_days=7, last_collected=DEC_5, valid_until=dt.date(2026, 12, 10))
    assert found is not None
    assert found.message == (
        "You collected this on Dec 5; the code ends before you can collect it again."
    )


def test_it_refuses_a_code_that_is_turned_off() -> None:
    found = _refusal(active=False)
    assert found is not None and found.code == "qr_inactive"


@given(
    repeat=st.one_of(st.none(), st.integers(min_value=1, max_value=365)),
    last=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 1, 1)),
    gap=st.integers(min_value=0, max_value=800),
)
def test_it_pays_again_exactly_from_the_day_it_names(
    repeat: int | None, last: dt.date, gap: int
) -> None:
    today = last + dt.timedelta(days=gap)
    found = refusal(
        active=True,
        valid_from=dt.date(2000, 1, 1),
        valid_until=None,
        repeat_days=repeat,
        last_collected=last,
        today=today,
    )
    pays = repeat is not None and gap >= repeat
    assert (found is None) == pays
    # Two collections on one slot would break the unique constraint: only a
    # day that pays again gets a new slot.
    if repeat is not None and repeat <= 1 and pays:
        assert slot(repeat, today) != slot(repeat, last)


def test_it_gives_the_database_a_slot_for_once_and_daily_codes() -> None:
    assert slot(None, DEC_5) == "once"
    assert slot(1, DEC_5) == "2026-12-05"
    assert slot(3, DEC_5) is None
