"""The front desk works today's schedule in Orthotrac (the simulator) and the
automatic points arrive in the hub on their own.

The practice switched on its kept / on time / next visit booked rules; Emma's
chart is linked with a card. In the sim's Schedule the front desk checks her
in on time, checks her out and books her next visit: each click sends the
appointment to the live hub through the bridge client. Nobody awards
anything, yet the staff profile page and the patient portal show the points
with their reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS

from pms_sim import appointments, charts
from pms_sim.app import make_app
from pms_sim.seed import DEMO_CHARTS, EMMA_CHART_ID, seed
from pms_sim.server import running
from rewardshub.audit.actors import Actor
from rewardshub.automations.ledger import AUTOMATIC
from rewardshub.automations.settings_actions import save_rule
from rewardshub.cards.batches import IssuedCard, issue_batch
from rewardshub.integrations.actions import create_key
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry
from rewardshub.portal.actions import issue_temp_password
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone
from rewardshub_bridge.client import HubClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
NEW_PASSWORD = "sparkly-braces-42"
SYSTEM = Actor.system("tests")
VISIT = "AP-TODAY-1"
EMMA = next(row for row in DEMO_CHARTS if row["chart_id"] == EMMA_CHART_ID)
RULES = {"kept": 5, "on_time": 3, "next_booked": 6}


@dataclass
class World:
    sim_url: str
    emma: Profile
    card: IssuedCard
    start: dt.datetime


@pytest.fixture
def world(live_server: Any, acworth: Practice, tmp_path: Path) -> Iterator[World]:
    for trigger, points in RULES.items():
        save_rule(practice=acworth, trigger=trigger, enabled=True, points=points, actor=SYSTEM)
    key = create_key(practice=acworth, name="Front desk PC", system="orthotrac", actor=SYSTEM)
    api = HubClient(live_server.url, key.token)
    card = issue_batch(practice=acworth, count=1, actor=SYSTEM)[0]
    fields = {k: v for k, v in EMMA.items() if k not in ("chart_id", "email") and v}
    assert api.set_card("orthotrac", EMMA_CHART_ID, card.number, fields)["outcome"] == "created"
    db_path = tmp_path / "pms_sim.sqlite3"
    seed(db_path)
    # Emma's visit starts now: after the rules were switched on, and checked in
    # within their grace.
    start = appointments.now()
    with charts.connect(db_path) as conn:
        appointments.insert(
            conn,
            appointments.Appointment(
                appointment_id=VISIT,
                chart_id=EMMA_CHART_ID,
                starts_at=start.isoformat(),
                updated_at=(start - dt.timedelta(weeks=6)).isoformat(),
                type_code="ADJ",
                type_label="Adjustment",
                office="ACW",
                provider="Dr. Reyes",
            ),
        )
    with running(make_app(db_path, api)) as url:
        yield World(url, Profile.objects.get(username=card.number), card, start)


def test_the_front_desk_works_the_schedule_and_the_points_arrive_on_their_own(
    browser: Browser,
    live_server: Any,
    world: World,
    frontdesk: Any,
    sign_in: Callable[[str, str], Page],
) -> None:
    pms_context = browser.new_context()
    pms_context.set_default_timeout(ACTION_TIMEOUT_MS)
    pms = pms_context.new_page()

    # Orthotrac: Schedule, Acworth, today.
    pms.goto(world.sim_url + "/")
    pms.get_by_role("link", name="Schedule").click()
    expect(pms.locator("#schedule .panel-title")).to_contain_text("Schedule - Acworth")
    row = pms.locator(f"#appointment-{VISIT}")
    expect(row).to_contain_text("Johnson, Emma")
    expect(row.locator(".appointment-status")).to_have_text("Scheduled")
    # The demo day is there too, in both offices.
    expect(pms.locator("#appointment-book tbody tr")).to_have_count(6)
    result = pms.locator("#schedule-result")

    row.get_by_role("button", name="Check in").click()
    expect(result).to_contain_text("Emma Johnson checked in at")
    expect(result).to_contain_text("Patient Rewards Hub: +3 points, On time.")
    expect(result).to_contain_text("Balance: 3 points.")
    expect(row.locator(".appointment-status")).to_have_text("Checked in")
    expect(row.get_by_role("button", name="Check in")).to_be_disabled()

    row.get_by_role("button", name="Check out").click()
    expect(result).to_contain_text("Emma Johnson checked out at")
    expect(result).to_contain_text("Patient Rewards Hub: +5 points, Appointment kept.")
    expect(result).to_contain_text("Balance: 8 points.")
    expect(row.locator(".appointment-status")).to_have_text("Checked out")

    row.get_by_role("button", name="Book next visit").click()
    next_day = world.start.astimezone() + dt.timedelta(weeks=6)
    expect(result).to_contain_text(f"Next visit booked for Emma Johnson: {next_day:%m/%d/%Y}")
    expect(result).to_contain_text("Patient Rewards Hub: +6 points, Next visit booked.")
    expect(result).to_contain_text("Balance: 14 points.")

    # Another office's book, with its own demo appointments.
    pms.locator("#office-MAR").click()
    expect(pms.locator("#schedule .panel-title")).to_contain_text("Schedule - Marietta")
    expect(pms.locator("#appointment-book tbody tr")).to_have_count(3)
    pms_context.close()

    # Nobody awarded anything: every entry is the automatic rules'.
    entries = LedgerEntry.objects.filter(profile=world.emma)
    assert {entry.actor_label for entry in entries} == {AUTOMATIC.label}
    day = world.start.astimezone(practice_zone(world.emma.practice))
    on = f"Adjustment on {day:%b} {day.day}, {day.year}"
    reasons = [f"On time: {on}", f"Appointment kept: {on}", f"Next visit booked: {on}"]

    # The hub's profile page, signed in as the front desk.
    staff = sign_in("frontdesk", PASSWORD)
    staff.goto(f"/patients/{world.emma.public_id}/")
    for reason in reasons:
        expect(staff.get_by_text(reason)).to_be_visible()
    expect(staff.locator("main")).to_contain_text("14")

    # The patient portal: Emma's first log-in with the temporary password the
    # front desk gives her, then her history.
    temp_password = issue_temp_password(
        practice=world.emma.practice, profile=world.emma, actor=SYSTEM
    )
    portal_context = browser.new_context(base_url=live_server.url)
    portal_context.set_default_timeout(ACTION_TIMEOUT_MS)
    patient = portal_context.new_page()
    patient.goto("/portal/login/")
    patient.get_by_label("Card number or username").fill(world.emma.username)
    patient.get_by_label("Password", exact=True).fill(temp_password)
    patient.get_by_role("button", name="Log in").click()
    patient.get_by_label("Your last name").fill("Johnson")
    patient.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    patient.get_by_label("New password again").fill(NEW_PASSWORD)
    patient.get_by_role("button", name="Yes, that’s me: save my password").click()
    expect(patient.get_by_test_id("balance")).to_have_text("14 points")
    patient.goto("/portal/history/")
    # The portal shows the visit once, with what each rule gave for it.
    visit = patient.locator(".p-visit").filter(has_text=f"Your visit: {on}")
    expect(visit).to_have_count(1)
    expect(visit.locator(".p-entry-points")).to_have_text("+14")
    for part in ("On time +3", "Appointment kept +5", "Next visit booked +6"):
        expect(visit.locator(".p-entry-parts")).to_contain_text(part)
    portal_context.close()
