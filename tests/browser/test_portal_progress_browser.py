"""Issue 15, Must show 2, on a 390 px phone: the progress bar to the next prize, ordering
with a confirmation, and the patient cancelling a to-do order.

The patient logs in through the portal's form, sees how far they are from the
next prize (a progressbar with its numbers, read the way assistive technology
reads it), orders a prize after confirming, and cancels it from My orders:
the points come back and the bar moves with them. No page scrolls sideways,
and the strict CSP reports nothing (the bar has no inline style).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS, activate_portal

from rewardshub.audit.actors import Actor
from rewardshub.cards.batches import issue_batch
from rewardshub.patients.models import Profile
from rewardshub.points.ledger import lock_profile, post
from rewardshub.points.models import EntryKind, OrderStatus, Prize, PrizeOrder
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYSTEM = Actor.system("tests")
PASSWORD = "sparkly-braces-42"
PHONE = {"width": 390, "height": 844}
WIDTH = """() => ({window: window.innerWidth, document: document.documentElement.scrollWidth})"""


@pytest.fixture
def emma(acworth: Practice, make_profile: Any) -> Profile:
    card = issue_batch(practice=acworth, count=1, actor=SYSTEM)[0]
    profile = make_profile(acworth, first="Emma", last="Johnson", card=card.number)
    activate_portal(profile, PASSWORD)
    with transaction.atomic():
        post(
            practice=acworth,
            profile=lock_profile(acworth, profile),
            points=120,
            kind=EntryKind.AWARD,
            actor=SYSTEM,
            description="Wearing elastics",
        )
    return profile


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    reports: list[str] = []
    page.on(
        "console",
        lambda message: reports.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    yield page, reports
    context.close()


def _fits(page: Page) -> None:
    measured = page.evaluate(WIDTH)
    assert measured["document"] <= measured["window"], (page.url, measured)


def test_a_patient_sees_the_bar_orders_and_cancels_on_a_phone(
    phone: tuple[Page, list[str]], emma: Profile, acworth: Practice
) -> None:
    page, csp_reports = phone
    Prize.objects.create(practice=acworth, name="Glitter pencil", cost=100, stock=5)
    Prize.objects.create(practice=acworth, name="Wireless headphones with a long name", cost=300)

    page.goto("/portal/login/")
    page.get_by_label("Card number or username").fill(emma.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The next prize and the bar toward it: named by its heading, with its numbers.
    goal = "Next prize: Wireless headphones with a long name"
    bar = page.get_by_role("progressbar", name=goal)
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "120")
    expect(bar).to_have_attribute("max", "300")
    # What the browser draws: 40 % of a bar across the card.
    assert bar.evaluate("el => el.position") == pytest.approx(0.4)
    box = bar.bounding_box()
    assert box is not None and box["width"] > 250
    card = page.get_by_test_id("next-prize")
    expect(card).to_contain_text("120 of 300 points: 180 more to go!")
    expect(card).to_contain_text("You can already order Glitter pencil (100 points).")
    _fits(page)

    # Ordering asks first; the answer is on its own page.
    page.get_by_role("link", name="Prizes", exact=True).click()
    page.get_by_role("button", name="Order Glitter pencil").click()
    expect(page.get_by_role("heading", name="Order “Glitter pencil”?")).to_be_visible()
    expect(page.get_by_test_id("confirm-after")).to_have_text("20 points")
    _fits(page)
    assert not PrizeOrder.objects.exists()
    page.get_by_role("button", name="Yes, order it").click()
    expect(page.get_by_text("You ordered “Glitter pencil”!")).to_be_visible()
    order = PrizeOrder.objects.get(profile=emma)
    assert order.status == OrderStatus.TODO

    # The bar follows the balance: 20 points left, the pencil is the next prize again.
    page.get_by_role("link", name="Home", exact=True).click()
    pencil = page.get_by_role("progressbar", name="Next prize: Glitter pencil")
    expect(pencil).to_have_attribute("value", "20")
    expect(pencil).to_have_attribute("max", "100")
    expect(page.get_by_test_id("next-prize")).to_contain_text("20 of 100 points: 80 more to go!")

    # Cancelling the to-do order: open the disclosure, give a reason, confirm.
    page.get_by_role("link", name="My orders", exact=True).click()
    todo = page.locator(".p-orders-todo li").filter(has_text="Glitter pencil")
    todo.get_by_text("Cancel this order").click()
    todo.get_by_label("Why? (optional)").fill("I'd rather save up")
    _fits(page)
    todo.get_by_role("button", name="Yes, cancel Glitter pencil").click()
    expect(
        page.get_by_text(
            "You cancelled “Glitter pencil” and got your 100 points back: you have 120 points now."
        )
    ).to_be_visible()
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()
    expect(page.locator(".p-orders-done")).to_contain_text("you cancelled it, points given back")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    emma.refresh_from_db()
    assert emma.points_balance == 120

    # Back home, the bar is where it started.
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_role("progressbar", name=goal)).to_have_attribute("value", "120")
    _fits(page)
    assert csp_reports == []
