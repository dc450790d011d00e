"""Issue 15 item 3, in a real browser: a guardian with two children switches between them
and orders for one; the other child's balance is unchanged.

Front-desk staff invite the parent from Emma's Family page and confirm the
link that Liam's shared email only proposed; the parent opens the
invitation's link, chooses a password, and uses the portal for each child.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import PASSWORD
from tests.families.conftest import GUARDIAN_PASSWORD, PARENT_EMAIL, give

from rewardshub.families.models import Guardian
from rewardshub.families.tokens import make_token
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize, PrizeOrder
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guardian_switches_between_two_children_and_orders_for_one(
    sign_in: Callable[[str, str], Page],
    browser: Browser,
    live_server: Any,
    acworth: Practice,
    frontdesk: Any,
    make_profile: Callable[..., Profile],
) -> None:
    emma = make_profile(acworth, "Emma", "Johnson", email=PARENT_EMAIL)
    liam = make_profile(acworth, "Liam", "Johnson", email=PARENT_EMAIL)
    give(emma, 40)
    give(liam, 25)
    Prize.objects.create(practice=acworth, name="Comic book", cost=10)

    # The front desk invites the parent from Emma's Family page.
    desk = sign_in(frontdesk.username, PASSWORD)
    desk.goto(f"/patients/{emma.public_id}/")
    desk.get_by_role("link", name="Parents and guardians").click()
    expect(desk.locator("#suggested")).to_contain_text("Liam Johnson")
    expect(desk.get_by_label("Parent or guardian’s email")).to_have_value(PARENT_EMAIL)
    desk.get_by_role("button", name="Send invitation").click()
    expect(desk.get_by_text(f"Invitation sent to {PARENT_EMAIL}.")).to_be_visible()
    # Liam's link was only proposed by the shared email: staff confirm it.
    desk.get_by_role("button", name="Confirm link of Liam Johnson").click()
    expect(desk.get_by_text(f"Confirmed: {PARENT_EMAIL} can now act for Liam.")).to_be_visible()

    # On the parent's own phone:
    phone = browser.new_context(base_url=live_server.url)
    page = phone.new_page()
    # The parent opens the invitation's link (what the mail carries) and chooses a password.
    guardian = Guardian.objects.get(email=PARENT_EMAIL)
    page.goto(f"/portal/family/welcome/{make_token(guardian)}/")
    page.get_by_label("New password", exact=True).fill(GUARDIAN_PASSWORD)
    page.get_by_label("New password again").fill(GUARDIAN_PASSWORD)
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_role("heading", name="Whose rewards?")).to_be_visible()
    expect(page.get_by_text("Your email is confirmed and your password saved.")).to_be_visible()

    # Next time: the parent's own sign-in, from the portal's log-in page.
    page.get_by_role("button", name="Log out").click()
    page.goto("/portal/login/")
    page.get_by_role("link", name="Parent or guardian? Sign in with your email").click()
    page.get_by_label("Your email").fill(PARENT_EMAIL)
    page.get_by_label("Password").fill(GUARDIAN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Emma first: her balance.
    page.get_by_role("button", name="Open Emma’s rewards").click()
    expect(page.get_by_test_id("switcher")).to_contain_text("You are looking at Emma’s rewards.")
    expect(page.get_by_test_id("balance")).to_have_text("40 points")
    assert "Emma" not in page.url and emma.username not in page.url

    # Switch to Liam and order the comic book for him.
    page.get_by_role("button", name="Switch to Liam").click()
    expect(page.get_by_test_id("switcher")).to_contain_text("You are looking at Liam’s rewards.")
    expect(page.get_by_test_id("balance")).to_have_text("25 points")
    page.get_by_role("link", name="Prizes", exact=True).click()
    page.get_by_role("button", name="Order Comic book").click()
    page.get_by_role("button", name="Yes, order it").click()
    expect(page.get_by_text("You ordered “Comic book”!")).to_be_visible()
    page.get_by_role("link", name="Home").click()
    expect(page.get_by_test_id("balance")).to_have_text("15 points")

    # Back to Emma: her points are untouched, and the order is not hers.
    page.get_by_role("button", name="Switch to Emma").click()
    expect(page.get_by_test_id("balance")).to_have_text("40 points")
    page.get_by_role("link", name="My orders").click()
    expect(page.locator("main")).not_to_contain_text("Comic book")

    emma.refresh_from_db()
    liam.refresh_from_db()
    assert (emma.points_balance, liam.points_balance) == (40, 15)
    assert PrizeOrder.objects.get().profile_id == liam.pk
    phone.close()
