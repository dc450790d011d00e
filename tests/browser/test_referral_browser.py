"""A referral from the portal to the bonus, in a real browser: a patient refers a
friend in the portal, the lead shows in Leads, the friend's chart syncs through
the integration API, staff confirm the match in the window set card opens, and
the referrer's portal shows "Bonus paid" and the points."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import activate_portal
from tests.conftest import PASSWORD, SYSTEM
from tests.integrations.conftest import Api, make_key
from tests.leads.conftest import BONUS, PORTAL_PASSWORD, enable_bonus

from rewardshub.leads.actions import create_lead
from rewardshub.leads.models import Lead, LeadStatus
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_referred_friend_becomes_a_patient_and_the_referrer_sees_the_bonus(
    page: Page,
    browser: Browser,
    live_server: Any,
    acworth: Practice,
    frontdesk: Any,
    issue_cards: Callable[[Practice, int], list[str]],
    make_profile: Callable[..., Profile],
) -> None:
    emma_card, mia_card = issue_cards(acworth, 2)
    emma = make_profile(acworth, "Emma", "Johnson", card=emma_card)
    activate_portal(emma, PORTAL_PASSWORD)
    enable_bonus(acworth)

    # The patient refers a friend in the portal.
    page.goto("/portal/login/")
    page.get_by_label("Card number or username").fill(emma.username)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Refer a friend").click()
    page.get_by_label("Your friend's first name").fill("Mia")
    page.get_by_label("Your friend's last name").fill("Lopez")
    page.get_by_label("Their email").fill("mia.lopez@example.com")
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you! We will reach out to Mia soon.")
    referrals = page.locator("#my-referrals")
    expect(referrals).to_contain_text("Mia L.")
    expect(referrals.locator(".referral-state")).to_have_text("Pending")

    # The lead shows in Leads.
    staff = browser.new_context(base_url=live_server.url)
    desk = staff.new_page()
    desk.goto("/login/")
    desk.get_by_label("Username").fill(frontdesk.username)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    row = desk.locator("#lead-list tbody tr").filter(has_text="Mia Lopez")
    expect(row).to_contain_text("Referral")
    expect(row).to_contain_text("Emma Johnson")
    expect(row).to_contain_text("New")
    expect(desk.locator("#lead-status-filter")).to_contain_text("New (1)")

    # The friend's chart syncs through the integration API (the PMS's set card).
    api = Api(client=Client(), token=make_key(acworth)[1])
    answer = api.set_card(
        "OT-MIA", mia_card, first_name="Mia", last_name="Lopez", email="mia.lopez@example.com"
    ).json()
    assert answer["outcome"] == "created", answer

    # Staff confirm the match in the window set card opens.
    desk.goto(urlsplit(answer["browser_url"]).path)
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        "Mia is synced with the Patient Rewards Hub."
    )
    expect(desk.get_by_role("heading", name="Is this patient a lead?")).to_be_visible()
    expect(desk.locator("#lead-compare")).to_contain_text("mia.lopez@example.com")
    desk.get_by_role("button", name="Yes, convert the lead").click()
    expect(desk.get_by_role("status")).to_contain_text("Converted: the lead is hub patient")
    lead = Lead.objects.get()
    mia = Profile.objects.get(username=answer["username"])
    assert (lead.converted_profile, lead.status) == (mia, LeadStatus.STARTED_TREATMENT)
    assert Profile.objects.filter(first_name="Mia").count() == 1
    staff.close()

    # The referrer's portal: "Bonus paid" and the points, never the friend's stage.
    page.reload()
    expect(referrals.locator(".referral-state")).to_have_text("Bonus paid")
    expect(referrals).to_contain_text(f"+{BONUS} points")
    expect(page.locator("main")).not_to_contain_text("Started treatment")
    page.get_by_role("link", name="Home").click()
    expect(page.locator("main")).to_contain_text(str(BONUS))
    emma.refresh_from_db()
    assert emma.points_balance == BONUS


def test_staff_convert_a_lead_by_hand_on_its_page(
    sign_in: Callable[[str, str], Page],
    acworth: Practice,
    frontdesk: Any,
    make_profile: Callable[..., Profile],
) -> None:
    amelia = make_profile(acworth, "Amelia", "Lopez")
    lead = create_lead(
        practice=acworth,
        data={"first_name": "Mia", "last_name": "Lopez", "source": "walk_in"},
        actor=SYSTEM,
    )
    desk = sign_in(frontdesk.username, PASSWORD)
    desk.goto(f"/leads/{lead.public_id}/")

    convert = desk.locator("#lead-convert")
    convert.get_by_label("Find the patient").fill("Lopez")
    convert.get_by_role("button", name="Search").click()
    desk.locator("#lead-candidates tr").filter(has_text="Amelia Lopez").get_by_role(
        "button", name="Choose"
    ).click()
    desk.get_by_role("button", name="Yes, convert into this patient").click()

    expect(desk.get_by_role("status")).to_contain_text(
        f"Converted: the lead is hub patient {amelia.username} now"
    )
    expect(desk.locator("#lead-converted")).to_contain_text("Amelia Lopez")
    expect(desk.locator("#lead-status")).to_have_text("Started treatment")
    lead.refresh_from_db()
    assert lead.converted_profile == amelia
