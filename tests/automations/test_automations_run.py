"""`rewardshub automations run`: birthdays once a year, in the practice's time zone,
caught up after days without a run; counts only in what it prints; one practice's
failure stops no other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from tests.conftest import SYSTEM

from rewardshub.automations.management.commands import automations as command
from rewardshub.automations.models import AutoAward, Trigger
from rewardshub.automations.settings_actions import save_rule, save_settings
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.models import Practice

Clock = Callable[[str], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Sets the hub's "now" (an ISO time with its offset) for what runs next."""

    def set_to(when: str) -> None:
        instant = dt.datetime.fromisoformat(when)
        monkeypatch.setattr(timezone, "now", lambda: instant)

    yield set_to


@pytest.fixture
def birthdays(acworth: Practice) -> None:
    save_rule(practice=acworth, trigger=Trigger.BIRTHDAY, enabled=True, points=10, actor=SYSTEM)


@pytest.fixture
def member(
    acworth: Practice,
    issue_cards: Callable[[Practice, int], list[str]],
    make_profile: Callable[..., Profile],
) -> Callable[..., Profile]:
    """A patient with a card, born on the day given."""

    def make(first: str, born: str, practice: Practice = acworth, **kwargs: Any) -> Profile:
        card = issue_cards(practice, 1)[0]
        return make_profile(
            practice, first, "Tester", card=card, birth_date=dt.date.fromisoformat(born), **kwargs
        )

    return make


def run(*args: str) -> str:
    out = StringIO()
    call_command("automations", "run", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def balances(practice: Practice) -> dict[str, int]:
    return dict(
        Profile.objects.filter(practice=practice).values_list("first_name", "points_balance")
    )


def test_it_pays_each_birthday_once_when_run_twice_on_the_same_day(
    acworth: Practice, birthdays: None, member: Callable[..., Profile], clock: Clock
) -> None:
    member("Ann", "2012-03-10")  # today
    member("Ben", "2012-03-13")  # in three days
    member("Cal", "2012-03-14")  # in four: not yet
    clock("2027-03-10T10:00:00-05:00")
    printed = run()
    assert printed == "practice acworth: 2 birthday(s), 0 treatment milestone(s) paid\n"
    assert "Ann" not in printed and "Tester" not in printed  # counts, never names

    clock("2027-03-10T23:30:00-05:00")
    assert run() == "practice acworth: 0 birthday(s), 0 treatment milestone(s) paid\n"
    assert balances(acworth) == {"Ann": 10, "Ben": 10, "Cal": 0}
    assert sorted(AutoAward.objects.values_list("profile__first_name", "period", "points")) == [
        ("Ann", "2027", 10),
        ("Ben", "2027", 10),
    ]
    descriptions = LedgerEntry.objects.filter(practice=acworth).values_list(
        "description", flat=True
    )
    assert sorted(d for d in descriptions if "birthday" in d) == ["Happy birthday! (2027)"] * 2


def test_it_pays_each_birthday_once_after_three_days_without_a_run(
    acworth: Practice, birthdays: None, member: Callable[..., Profile], clock: Clock
) -> None:
    for first, born in [
        ("Ann", "2012-03-07"),  # three days before the first run
        ("Ben", "2012-03-10"),
        ("Cal", "2012-03-11"),  # on a day nothing ran
        ("Dee", "2012-03-12"),  # on a day nothing ran
        ("Eve", "2012-03-16"),  # three days after the late run
        ("Fay", "2012-03-17"),  # four days after it: not yet
        ("Gus", "2012-03-06"),  # four days before the first run: missed
    ]:
        member(first, born)
    clock("2027-03-10T09:00:00-05:00")
    assert run().startswith("practice acworth: 4 birthday(s)")  # Ann, Ben, Cal, Dee
    # Nothing runs on the 11th and the 12th.
    clock("2027-03-13T09:00:00-04:00")
    assert run().startswith("practice acworth: 1 birthday(s)")  # Eve
    assert run().startswith("practice acworth: 0 birthday(s)")
    assert balances(acworth) == {
        "Ann": 10, "Ben": 10, "Cal": 10, "Dee": 10, "Eve": 10, "Fay": 0, "Gus": 0,
    }  # fmt: skip
    # The next year pays again, once.
    clock("2028-03-10T09:00:00-05:00")
    assert run().startswith("practice acworth: 4 birthday(s)")
    assert AutoAward.objects.filter(period="2028").count() == 4


def test_it_counts_29_february_as_28_february_in_a_year_without_it(
    acworth: Practice, birthdays: None, member: Callable[..., Profile], clock: Clock
) -> None:
    leap = member("Ann", "2012-02-29")
    # Four days after 28 February (1 March would be three): not due.
    clock("2027-03-04T12:00:00-05:00")
    assert run().startswith("practice acworth: 0 birthday(s)")
    # Three days before 28 February (1 March would be four): due.
    clock("2027-02-25T12:00:00-05:00")
    assert run().startswith("practice acworth: 1 birthday(s)")
    clock("2027-02-28T12:00:00-05:00")
    assert run().startswith("practice acworth: 0 birthday(s)")
    # In a leap year it is 29 February itself.
    clock("2028-02-25T12:00:00-05:00")
    assert run().startswith("practice acworth: 0 birthday(s)")
    clock("2028-02-26T12:00:00-05:00")
    assert run().startswith("practice acworth: 1 birthday(s)")
    assert list(
        AutoAward.objects.filter(profile=leap).order_by("period").values_list("period", flat=True)
    ) == ["2027", "2028"]


def test_it_takes_today_from_the_practice_time_zone(
    acworth: Practice, birthdays: None, member: Callable[..., Profile], clock: Clock
) -> None:
    Practice.objects.filter(pk=acworth.pk).update(time_zone="America/Los_Angeles")
    member("Ann", "2012-03-13")
    # 04:00 UTC on the 10th is still the 9th in Los Angeles: the 13th is four days away.
    clock("2027-03-10T04:00:00+00:00")
    assert run().startswith("practice acworth: 0 birthday(s)")
    # Midnight of the 10th in Los Angeles (08:00 UTC): three days away.
    clock("2027-03-10T08:00:00+00:00")
    assert run().startswith("practice acworth: 1 birthday(s)")


def test_it_pays_nothing_to_a_patient_with_an_excluded_tag(
    acworth: Practice, birthdays: None, member: Callable[..., Profile], clock: Clock
) -> None:
    excluded = Tag.objects.get(practice=acworth, name="*Adult Patient")
    save_settings(practice=acworth, excluded_tags=[excluded], visits_since=None, actor=SYSTEM)
    member("Ann", "2012-03-10")
    member("Ben", "2012-03-10", tags=("*Adult Patient",))
    clock("2027-03-10T10:00:00-05:00")
    assert run().startswith("practice acworth: 1 birthday(s)")
    assert run().startswith("practice acworth: 0 birthday(s)")
    assert balances(acworth) == {"Ann": 10, "Ben": 0}


def test_it_pays_only_members_with_a_birthday_rule_switched_on(
    acworth: Practice,
    riverside: Practice,
    member: Callable[..., Profile],
    make_profile: Callable[..., Profile],
    clock: Clock,
) -> None:
    member("Ann", "2012-03-10")
    member("Rae", "2012-03-10", practice=riverside)
    save_rule(practice=riverside, trigger=Trigger.BIRTHDAY, enabled=True, points=7, actor=SYSTEM)
    clock("2027-03-10T10:00:00-05:00")
    assert run() == (
        "practice acworth: 0 birthday(s), 0 treatment milestone(s) paid\n"
        "practice riverside: 1 birthday(s), 0 treatment milestone(s) paid\n"
    )
    assert balances(riverside) == {"Rae": 7}
    assert run("--practice", "riverside").startswith("practice riverside: 0 birthday(s)")


def test_one_practice_failing_stops_no_other_and_fails_the_run(
    acworth: Practice,
    riverside: Practice,
    birthdays: None,
    member: Callable[..., Profile],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    save_rule(practice=riverside, trigger=Trigger.BIRTHDAY, enabled=True, points=7, actor=SYSTEM)
    member("Ann", "2012-03-10")
    member("Rae", "2012-03-10", practice=riverside)
    real = command.pay_milestones

    def broken_in_acworth(practice: Practice, *args: Any) -> int:
        if practice.slug == "acworth":
            raise RuntimeError("Ann Tester 2012-03-10")  # what a failure might carry
        return real(practice, *args)

    monkeypatch.setattr(command, "pay_milestones", broken_in_acworth)
    clock("2027-03-10T10:00:00-05:00")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("automations", "run", stdout=out, stderr=err)
    assert failed.value.returncode == 1
    assert "failed in 1 practice(s): acworth" in str(failed.value)
    assert out.getvalue() == "practice riverside: 1 birthday(s), 0 treatment milestone(s) paid\n"
    assert err.getvalue().startswith("practice acworth: failed (RuntimeError at ")
    assert "Ann" not in err.getvalue()
    # The birthdays paid before the error stay paid; the next run pays nothing twice.
    assert balances(acworth) == {"Ann": 10}
    monkeypatch.setattr(command, "pay_milestones", real)
    assert run().startswith("practice acworth: 0 birthday(s)")


def test_it_names_an_unknown_practice(db: Any) -> None:
    with pytest.raises(CommandError, match="No practice has the slug 'nowhere'"):
        run("--practice", "nowhere")
