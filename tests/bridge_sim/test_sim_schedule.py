"""The simulator's Schedule: today's appointment book per office, and the front
desk's buttons, each sending the appointment to the live hub."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from pms_sim import appointments, charts, seed
from rewardshub.automations.models import Appointment, AutoAward
from rewardshub.automations.settings_actions import save_rule
from rewardshub.integrations.models import IdempotencyRecord
from rewardshub.patients.models import Profile
from rewardshub_bridge.client import HubClient

from .conftest import SYSTEM, Hub, Page, SimBrowser

VISIT = "AP-T1"
EMMA = {"first_name": "Emma", "last_name": "Johnson", "birth_date": "2010-05-09"}
NOT_LINKED = "this chart is not linked yet, so no points were given"


def add_visit(sim_db: Path, chart_id: str = seed.EMMA_CHART_ID, office: str = "ACW") -> None:
    """A visit starting now (after any rule switched on in the test)."""
    start = appointments.now()
    with charts.connect(sim_db) as conn:
        appointments.insert(
            conn,
            appointments.Appointment(
                appointment_id=VISIT,
                chart_id=chart_id,
                starts_at=start.isoformat(),
                updated_at=(start - dt.timedelta(days=1)).isoformat(),
                type_code="ADJ",
                type_label="Adjustment",
                office=office,
                provider="Dr. Reyes",
            ),
        )


def stored(sim_db: Path, appointment_id: str = VISIT) -> appointments.Appointment:
    with charts.connect(sim_db) as conn:
        found = appointments.get(conn, appointment_id)
    assert found is not None
    return found


def form_of(page: Page, appointment_id: str, step: str) -> tuple[str, dict[str, str]]:
    """The action and fields of a row's button form on the schedule."""
    action = f"/appointments/{appointment_id}/{step}"
    found = re.search(
        rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', page.text, re.S
    )
    assert found, f"no {step} form for {appointment_id}"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', found.group(1)))
    return action, fields


def click(sim: SimBrowser, step: str, appointment_id: str = VISIT) -> tuple[Page, dict[str, str]]:
    """Press the row's button; returns the schedule shown after it and the form sent."""
    action, fields = form_of(sim.get("/schedule"), appointment_id, step)
    return sim.follow(sim.post(action, fields)), fields


def result_text(page: Page) -> str:
    found = re.search(r'<div class="[a-z-]+" id="schedule-result".*?</div>', page.text, re.S)
    assert found, "no result message"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))


@pytest.fixture
def rules(hub: Hub) -> None:
    for trigger, points in {"kept": 5, "on_time": 3, "next_booked": 6}.items():
        save_rule(practice=hub.practice, trigger=trigger, enabled=True, points=points, actor=SYSTEM)


@pytest.fixture
def emma(rules: None, client: HubClient, cards: list[str], sim_db: Path) -> Profile:
    client.set_card("orthotrac", seed.EMMA_CHART_ID, cards[0], EMMA)
    add_visit(sim_db)
    return Profile.objects.get(username=cards[0])


# -- the book ------------------------------------------------------------------------


def test_it_shows_todays_book_of_the_first_office(offline_sim: SimBrowser) -> None:
    page = offline_sim.get("/schedule")

    assert page.status == 200
    rows = re.findall(r'<tr id="appointment-([^"]+)"', page.text)
    today = appointments.now().date()
    assert rows == [f"AP-{today:%Y%m%d}-{n:02d}" for n in (1, 3, 5, 6, 8)]
    assert "Schedule - Acworth" in page.text
    assert "8:00 AM" in page.text and "Carter, Liam" in page.text


def test_it_shows_another_offices_book(offline_sim: SimBrowser) -> None:
    page = offline_sim.get("/schedule?office=MAR")

    assert re.findall(r'<tr id="appointment-[^"]+-(\d+)"', page.text) == ["02", "04", "07"]
    assert "Schedule - Marietta" in page.text


def test_it_shows_the_first_office_for_an_unknown_one(offline_sim: SimBrowser) -> None:
    assert "Schedule - Acworth" in offline_sim.get("/schedule?office=XYZ").text


def test_it_links_the_schedule_from_the_menu(offline_sim: SimBrowser) -> None:
    assert '<a class="menu-link" id="menu-schedule" href="/schedule">Schedule</a>' in (
        offline_sim.get("/").text
    )


def test_it_seeds_the_demo_day_once(tmp_path: Path) -> None:
    path = tmp_path / "sim.sqlite3"
    seed.seed(path)
    seed.seed(path)

    with charts.connect(path) as conn:
        count = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
    assert count == len(seed.DEMO_DAY)


# -- the buttons, against the live hub ---------------------------------------------------


def test_it_checks_in_a_linked_patient_and_shows_the_points(
    sim: SimBrowser, emma: Profile, sim_db: Path
) -> None:
    page, _ = click(sim, "check-in")

    record = stored(sim_db)
    assert record.status == "arrived" and record.arrived_at
    sent = Appointment.objects.get(appointment_id=VISIT)
    assert (sent.status, sent.profile) == ("arrived", emma)
    assert sent.arrived_at == dt.datetime.fromisoformat(record.arrived_at)
    assert sent.pms_updated_at == dt.datetime.fromisoformat(record.updated_at)
    text = result_text(page)
    assert "Emma Johnson checked in at" in text
    assert "Patient Rewards Hub: +3 points, On time." in text
    assert "Balance: 3 points." in text
    assert re.search(rf'id="appointment-{VISIT}" class="status-arrived"', page.text)


def test_it_says_when_the_chart_is_not_linked_yet(sim: SimBrowser, hub: Hub, sim_db: Path) -> None:
    add_visit(sim_db, chart_id="OT-10001")

    page, _ = click(sim, "check-in")

    assert NOT_LINKED in result_text(page)
    sent = Appointment.objects.get(appointment_id=VISIT)
    assert (sent.chart_id, sent.status, sent.profile) == ("OT-10001", "arrived", None)


def test_it_sends_a_double_submit_once(sim: SimBrowser, emma: Profile, sim_db: Path) -> None:
    action, fields = form_of(sim.get("/schedule"), VISIT, "check-in")
    sim.post(action, fields)
    first = stored(sim_db)

    again = sim.follow(sim.post(action, fields))

    assert stored(sim_db) == first
    assert "Patient Rewards Hub: already up to date; no points moved." in result_text(again)
    assert AutoAward.objects.filter(profile=emma).count() == 1
    assert IdempotencyRecord.objects.get().key == f"pms-sim-{fields['nonce']}"


def test_it_checks_out_and_books_the_next_visit(
    sim: SimBrowser, emma: Profile, sim_db: Path
) -> None:
    click(sim, "check-in")
    click(sim, "check-out")
    page, fields = click(sim, "book-next")

    new_id = f"AP-{fields['nonce'][:16]}"
    booked = stored(sim_db, new_id)
    visit = stored(sim_db)
    assert (visit.status, booked.status) == ("completed", "scheduled")
    assert booked.start == visit.start + dt.timedelta(weeks=6)
    assert booked.booked_at == booked.updated_at
    sent = Appointment.objects.get(appointment_id=new_id)
    assert sent.booked_at == dt.datetime.fromisoformat(booked.booked_at)
    text = result_text(page)
    assert "Next visit booked for Emma Johnson" in text
    assert "Patient Rewards Hub: +6 points, Next visit booked." in text
    assert "Balance: 14 points." in text
    emma.refresh_from_db()
    assert emma.points_balance == 14


def test_it_marks_a_checked_in_visit_missed_and_the_hub_takes_back(
    sim: SimBrowser, emma: Profile, sim_db: Path
) -> None:
    click(sim, "check-in")

    page, _ = click(sim, "missed")

    assert (stored(sim_db).status, stored(sim_db).arrived_at) == ("missed", "")
    sent = Appointment.objects.get(appointment_id=VISIT)
    assert (sent.status, sent.arrived_at) == ("missed", None)
    assert "Patient Rewards Hub: -3 points, On time." in result_text(page)
    emma.refresh_from_db()
    assert emma.points_balance == 0


def test_it_keeps_the_change_and_says_so_when_the_hub_is_down(
    offline_sim: SimBrowser, sim_db: Path
) -> None:
    add_visit(sim_db)

    page, _ = click(offline_sim, "seat")

    assert stored(sim_db).status == "seated"
    text = result_text(page)
    assert "Emma Johnson seated." in text
    assert "Saved in Orthotrac, but the Patient Rewards Hub did not take it" in text
    assert 'role="alert"' in page.text


@pytest.mark.parametrize(
    ("path", "status"),
    [("/appointments/AP-NONE/check-in", 404), (f"/appointments/{VISIT}/undo", 404)],
)
def test_it_answers_404_for_an_unknown_appointment_or_step(
    offline_sim: SimBrowser, sim_db: Path, path: str, status: int
) -> None:
    add_visit(sim_db)

    assert offline_sim.post(path, {}).status == status
    assert stored(sim_db).status == "scheduled"


def test_it_refuses_a_cross_site_button(offline_sim: SimBrowser, sim_db: Path) -> None:
    add_visit(sim_db)

    page = offline_sim.post(f"/appointments/{VISIT}/check-in", {}, origin="https://evil.example")

    assert page.status == 403
    assert stored(sim_db).status == "scheduled"


# -- the steps, without a hub -------------------------------------------------------------

AT = dt.datetime(2026, 12, 4, 9, 31, tzinfo=dt.UTC)
BOOKED = appointments.Appointment(
    appointment_id="AP-1",
    chart_id="OT-1",
    starts_at="2026-12-04T09:30:00+00:00",
    updated_at="2026-10-01T12:00:00+00:00",
)


@pytest.mark.parametrize(
    ("steps", "status", "arrived", "completed"),
    [
        (["check-in"], "arrived", AT, None),
        (["check-in", "check-in"], "arrived", AT, None),
        (["check-in", "seat", "check-in"], "seated", AT, None),
        (["check-out"], "completed", AT, AT),
        (["check-in", "missed"], "missed", None, None),
        (["missed", "check-in"], "arrived", AT, None),
    ],
)
def test_steps_only_move_forward(
    steps: list[str], status: str, arrived: dt.datetime | None, completed: dt.datetime | None
) -> None:
    record = BOOKED
    for step in steps:
        record = appointments.apply_step(record, step, AT)

    assert record.status == status
    assert record.arrived_at == (arrived.isoformat() if arrived else "")
    assert record.completed_at == (completed.isoformat() if completed else "")
    assert record.updated_at > BOOKED.updated_at


def test_each_change_is_newer_than_the_last_even_if_the_clock_steps_back() -> None:
    ahead = appointments.apply_step(BOOKED, "check-in", AT)
    back = appointments.apply_step(ahead, "check-out", AT - dt.timedelta(hours=1))

    assert dt.datetime.fromisoformat(back.updated_at) > dt.datetime.fromisoformat(ahead.updated_at)
