"""Treatment milestones: the chart's PMS status moving to the practice's milestone
status pays once, whether a one-chart call or a batch brings it, and
`rewardshub automations run` pays what a call could not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.conftest import SYSTEM
from tests.integrations.conftest import EMMA, Api, make_key
from tests.integrations.test_one_write_path import _rows

from rewardshub.automations.models import AutoAward, AutoRule, Trigger
from rewardshub.automations.rules import milestone_reached
from rewardshub.automations.settings_actions import save_rule, save_settings
from rewardshub.cards.actions import connect_card
from rewardshub.integrations import batch
from rewardshub.integrations.decisions import pms_status_seen
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.actions import add_tag, remove_tag
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.models import LedgerEntry
from rewardshub.practices.actions import create_practice
from rewardshub.practices.models import Practice

from .conftest import CHART

POINTS = 50


def milestone(practice: Practice, status: str = "Debond") -> AutoRule:
    return save_rule(
        practice=practice,
        trigger=Trigger.MILESTONE,
        enabled=True,
        points=POINTS,
        milestone_status=status,
        actor=SYSTEM,
    )


def carded(practice: Practice, profile: Profile) -> Profile:
    """Connect the card whose number set card made the username (the seed's workflow)."""
    connect_card(practice=practice, profile=profile, raw=profile.username, actor=SYSTEM)
    profile.refresh_from_db()
    return profile


@pytest.fixture
def patient(acworth: Practice, emma: Profile) -> Profile:
    """Emma, synced from her chart in "Active Tx", with her card connected, and the
    practice's milestone "Debond" switched on."""
    milestone(acworth)
    return carded(acworth, emma)


def paid(profile: Profile) -> list[tuple[str, int]]:
    profile.refresh_from_db()
    return list(
        AutoAward.objects.filter(profile=profile).values_list("rule__trigger", "points")
    ) + [("balance", profile.points_balance)]


def link(chart_id: str = CHART) -> PmsLink:
    return PmsLink.objects.get(chart_id=chart_id)


def _one_chart_at_a_time(*args: Any, **kwargs: Any) -> Any:
    raise IntegrityError("one chart at a time")


def run() -> str:
    out = StringIO()
    call_command("automations", "run", stdout=out)
    return out.getvalue()


def test_an_update_to_the_milestone_status_pays_once(api: Api, patient: Profile) -> None:
    assert api.update(CHART, pms_status="Active Tx").status_code == 200
    assert paid(patient) == [("balance", 0)]
    assert link().pms_status == "Active Tx"
    # Another case and spaces around it: the same status.
    assert api.update(CHART, pms_status="  DEBOND ").status_code == 200
    assert paid(patient) == [("milestone", POINTS), ("balance", POINTS)]
    moved = link()
    assert (moved.pms_status, moved.pms_status_changed_at is not None) == ("DEBOND", True)
    # Again, the same status in its own spelling, and back after another: nothing more.
    api.update(CHART, pms_status="Debond")
    assert link().pms_status_changed_at == moved.pms_status_changed_at
    api.update(CHART, pms_status="Retention")
    api.update(CHART, pms_status="Debond")
    api.update(CHART)  # no status: the link keeps its own
    assert link().pms_status == "Debond"
    assert paid(patient) == [("milestone", POINTS), ("balance", POINTS)]
    entry = LedgerEntry.objects.get(profile=patient)
    assert (entry.kind, entry.description) == ("auto", "Treatment milestone: Debond")
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(patient)[-1] == ("balance", POINTS)


def test_a_set_card_of_a_linked_chart_to_the_milestone_status_pays_once(
    api: Api, patient: Profile
) -> None:
    for _ in range(2):
        answer = api.set_card(CHART, patient.username, **EMMA, pms_status="debond")
        assert answer.json()["outcome"] == "already_linked", answer.content
    assert paid(patient) == [("milestone", POINTS), ("balance", POINTS)]
    assert link().pms_status == "debond"


def test_a_new_patient_without_a_card_yet_is_paid_when_the_card_is_connected(
    acworth: Practice, api: Api, issue_cards: Callable[[Practice, int], list[str]]
) -> None:
    milestone(acworth)
    card = issue_cards(acworth, 1)[0]
    # Set card makes a new patient whose username is the card; the card is connected later.
    answer = api.set_card("NEW-9", card, **EMMA, pms_status="Debond")
    assert answer.json()["outcome"] == "created", answer.content
    assert api.update("NEW-9", pms_status="Retention").status_code == 200
    assert api.update("NEW-9", pms_status="Debond").status_code == 200
    newcomer = Profile.objects.get(practice=acworth, username=card)
    assert newcomer.kind == "member"
    assert paid(newcomer) == [("balance", 0)]
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(carded(acworth, newcomer)) == [("milestone", POINTS), ("balance", POINTS)]


@pytest.mark.parametrize("way", ["bulk", "one chart at a time"])
def test_a_batch_to_the_milestone_status_pays_once(
    api: Api, patient: Profile, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    if way != "bulk":
        monkeypatch.setattr(batch, "_bulk_chunk", _one_chart_at_a_time)
    row = {"chart_id": CHART, **EMMA}
    for status in ("Active Tx", "Debond", "DEBOND", "Retention", "Debond"):
        answer = api.batch([{**row, "pms_status": status}, {"chart_id": "NEW-1", **EMMA}])
        assert answer.status_code == 200, answer.content
    assert paid(patient) == [("milestone", POINTS), ("balance", POINTS)]
    assert link().pms_status == "Debond"


def test_the_batch_and_one_chart_paths_pay_and_record_the_same(
    db: Any, monkeypatch: pytest.MonkeyPatch, issue_cards: Callable[[Practice, int], list[str]]
) -> None:
    practices = {}
    for slug in ("one", "bulk"):
        practice = create_practice(name=f"{slug} Orthodontics", slug=slug, actor=SYSTEM)
        api = Api(client=Client(), token=make_key(practice)[1])
        milestone(practice)
        card = issue_cards(practice, 1)[0]
        api.set_card("C-1", card, **EMMA, pms_status="Active Tx")
        carded(practice, Profile.objects.get(practice=practice, username=card))
        practices[slug] = (practice, api)
    for rows in (
        [
            {"chart_id": "C-1", **EMMA, "pms_status": "Debond", "email": "e@example.com"},
            {"chart_id": "C-2", **EMMA},
        ],
        [
            {"chart_id": "C-1", **EMMA, "pms_status": "DEBOND", "email": "e@example.com"},
            {"chart_id": "C-2", **EMMA, "pms_status": "Debond"},
        ],
    ):
        practices["bulk"][1].batch(rows)
        with monkeypatch.context() as patched:
            patched.setattr(batch, "_bulk_chunk", _one_chart_at_a_time)
            practices["one"][1].batch(rows)
    one, bulk = _rows(practices["one"][0]), _rows(practices["bulk"][0])
    for rows in (one, bulk):  # the card numbers differ, nothing else
        rows["C-1"]["audit"] = [row for row in rows["C-1"]["audit"] if row[0] != "card.connect"]
    assert one == bulk
    assert bulk["C-1"]["profile"]["points_balance"] == POINTS
    # The milestone's audit event follows the sync's, in both ways alike.
    assert [row[0] for row in bulk["C-1"]["audit"]][-4:] == [
        "profile.update",
        "pms.batch",
        "points.auto",
        "pms.batch",
    ]
    assert bulk["C-1"]["link_status"] == ("Debond", True)  # DEBOND is no move
    assert bulk["C-2"]["link_status"] == ("Debond", True)  # chart only: kept, nothing paid
    assert bulk["C-2"]["profile"]["points_balance"] == 0


def test_a_status_reached_before_the_rule_was_switched_on_pays_nothing(
    acworth: Practice, api: Api, emma: Profile
) -> None:
    carded(acworth, emma)
    api.update(CHART, pms_status="Debond")
    milestone(acworth)
    api.update(CHART, pms_status="Debond")
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(emma) == [("balance", 0)]


def test_an_excluded_patient_gets_nothing_until_the_tag_is_removed(
    acworth: Practice, api: Api, patient: Profile
) -> None:
    adult = Tag.objects.get(practice=acworth, name="*Adult Patient")
    save_settings(practice=acworth, excluded_tags=[adult], visits_since=None, actor=SYSTEM)
    add_tag(practice=acworth, profile=patient, tag=adult, actor=SYSTEM)
    api.update(CHART, pms_status="Debond")
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(patient) == [("balance", 0)]
    # The tag goes: the next run finds the chart in the status, unpaid, and pays it once.
    remove_tag(practice=acworth, profile=patient, tag=adult, actor=SYSTEM)
    assert run().startswith("practice acworth: 0 birthday(s), 1 treatment milestone(s)")
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(patient) == [("milestone", POINTS), ("balance", POINTS)]


def test_a_chart_only_patient_is_paid_once_a_card_is_connected(
    acworth: Practice, api: Api, issue_cards: Callable[[Practice, int], list[str]]
) -> None:
    milestone(acworth)
    # The nightly batch brings a chart the hub has no patient for: a chart-only profile.
    api.batch([{"chart_id": "CHART-1", **EMMA, "pms_status": "Debond"}])
    chart_only = Profile.objects.get(practice=acworth, kind="chart")
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    # Set card gives the chart-only profile its number: a member, but no card connected yet.
    card = issue_cards(acworth, 1)[0]
    answer = api.set_card("CHART-1", card, **EMMA, pms_status="Debond")
    assert answer.json()["outcome"] == "linked", answer.content
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(chart_only) == [("balance", 0)]
    # Connect Card: paid at once, and only once.
    member = carded(acworth, chart_only)
    assert paid(member) == [("milestone", POINTS), ("balance", POINTS)]
    assert run().startswith("practice acworth: 0 birthday(s), 0 treatment milestone(s)")
    assert paid(member)[-1] == ("balance", POINTS)


def test_an_update_that_keeps_the_status_reads_no_rule(api: Api, patient: Profile) -> None:
    api.update(CHART, pms_status="Active Tx")
    with CaptureQueriesContext(connection) as same:
        api.update(CHART, pms_status="active tx")
    with CaptureQueriesContext(connection) as moved:
        api.update(CHART, pms_status="Retention")
    rule_reads = [
        [q["sql"] for q in captured.captured_queries if "automations_autorule" in q["sql"]]
        for captured in (same, moved)
    ]
    assert [len(reads) for reads in rule_reads] == [0, 1]


T0 = dt.datetime(2027, 3, 10, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "changed_at", "named", "active_from", "reached"),
    [
        ("Debond", T0, "Debond", None, True),
        (" debond", T0, "DEBOND ", T0, True),  # trimmed, any case; at the moment it was on
        ("Debond", T0 - dt.timedelta(seconds=1), "Debond", T0, False),  # before it was on
        ("Debond", None, "Debond", T0, False),
        ("Retention", T0, "Debond", None, False),
        ("", T0, "", None, False),  # a rule that names no status
    ],
)
def test_the_milestone_decision(
    status: str, changed_at: dt.datetime | None, named: str, active_from: Any, reached: bool
) -> None:
    assert milestone_reached(status, changed_at, named, active_from) is reached


@pytest.mark.parametrize(
    ("known", "sent", "kept"),
    [
        ("", "Debond", "Debond"),
        ("Active Tx", "  Debond ", "Debond"),  # kept as the PMS spells it, trimmed
        ("Debond", "DEBOND", None),  # the same status: no move
        ("Debond", None, None),  # not sent: the link keeps its own
        ("Debond", "   ", None),  # blank: the same
        ("", "x" * 120, "x" * 100),
    ],
)
def test_which_status_the_link_keeps(known: str, sent: str | None, kept: str | None) -> None:
    assert pms_status_seen(known, sent) == kept
