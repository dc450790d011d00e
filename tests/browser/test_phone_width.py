"""Staff pages fit a phone: at 390 px wide, no sideways scrolling on the patient list, a
full profile, the chart view a PMS launch opens and the orders page (issue 11, section 5).

Each page is filled the way a busy practice fills it: long names and emails,
16-digit numbers, several cards, points history, tags, activity and orders.
The test measures what the browser laid out: the document may not be wider
than the window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.integrations.conftest import CHART, Api, make_key
from tests.points.conftest import menu as points_menu
from tests.points.conftest import prizes as points_prizes

from rewardshub.audit.actors import Actor
from rewardshub.cards.actions import connect_card, replace_card
from rewardshub.patients.actions import add_tag
from rewardshub.patients.models import Profile, Tag
from rewardshub.points.actions import award_items
from rewardshub.points.models import Prize, RewardItem
from rewardshub.points.orders import fulfil_order, order_prize
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
SYSTEM = Actor.system("tests")
PHONE = {"width": 390, "height": 844}
menu = points_menu
prizes = points_prizes

LONG = {
    "first_name": "Maximiliana-Josephine",
    "last_name": "Vandenberghe-Oyelaran",
    "birth_date": "2011-02-03",
    "email": "maximiliana.josephine.vandenberghe-oyelaran@longfamilyname-example.com",
    "phone_mobile": "+1 (770) 555-0199 ext. 12345",
}

OVERFLOW = """() => {
    const doc = document.documentElement, body = document.body;
    const widest = [...document.querySelectorAll('body *')]
        .map(el => [el.getBoundingClientRect().right, el])
        .filter(([right]) => right > window.innerWidth + 0.5)
        .map(([right, el]) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
             + ' ' + Math.round(right));
    return {
        window: window.innerWidth,
        document: doc.scrollWidth,
        body: body.scrollWidth,
        culprits: widest.slice(0, 8),
    };
}"""


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def busy_profile(
    api: Api,
    acworth: Practice,
    issue_cards: Callable[[Practice, int], list[str]],
    make_profile: Callable[..., Profile],
    menu: dict[str, RewardItem],
    prizes: dict[str, Prize],
) -> Profile:
    """A synced patient with two cards, points, tags, orders and activity; more patients."""
    first, second, third = issue_cards(acworth, 3)
    assert api.set_card(CHART, first, **LONG, pms_status="Active Tx").status_code == 200
    profile = Profile.objects.get(practice=acworth, username=first)
    connect_card(practice=acworth, profile=profile, raw=first, actor=SYSTEM)
    replace_card(practice=acworth, profile=profile, raw=second, actor=SYSTEM)
    replace_card(practice=acworth, profile=profile, raw=third, actor=SYSTEM)
    for name in ("*Orthodontic Patient", "*Acworth"):
        add_tag(
            practice=acworth,
            profile=profile,
            tag=Tag.objects.get(practice=acworth, name=name),
            actor=SYSTEM,
        )
    for _ in range(4):
        award_items(
            practice=acworth,
            profile=profile,
            items=[menu["on_time"], menu["elastics"], menu["hygiene"]],
            actor=SYSTEM,
            description="Adjustment visit with a rather long description of what happened",
        )
    profile.refresh_from_db()
    done = order_prize(practice=acworth, profile=profile, prize=prizes["sticker"], actor=SYSTEM)
    fulfil_order(practice=acworth, order=done, actor=SYSTEM)
    order_prize(practice=acworth, profile=profile, prize=prizes["sticker"], actor=SYSTEM)
    for n in range(6):
        make_profile(
            acworth,
            first=f"Bartholomew{n}",
            last="Featherstonehaugh-Cholmondeley",
            email=f"bartholomew{n}.featherstonehaugh@averyveryverylongdomain-example.org",
        )
    profile.refresh_from_db()
    return profile


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def sign_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients/")


def too_wide(page: Page, name: str) -> list[str]:
    """What sticks out past the window's right edge, in px (nothing when the page fits)."""
    measured = page.evaluate(OVERFLOW)
    assert measured["window"] == PHONE["width"]
    over = max(measured["document"], measured["body"]) - measured["window"]
    return [f"{name}: {over} px too wide ({measured['culprits']})"] if over > 0 else []


def test_staff_pages_fit_a_390_px_phone(
    phone: Page,
    browser: Browser,
    live_server: Any,
    api: Api,
    owner: Any,
    busy_profile: Profile,
) -> None:
    sign_in(phone, "owner")
    expect(phone.get_by_text("Bartholomew5")).to_be_visible()
    failures = too_wide(phone, "patient list")

    phone.goto(f"/patients/{busy_profile.public_id}/")
    expect(phone.locator("p.points")).to_be_visible()
    expect(phone.locator("#tags")).to_contain_text("*Acworth")
    failures += too_wide(phone, "profile")

    phone.goto("/orders/")
    expect(phone.get_by_text("Sticker pack").first).to_be_visible()
    failures += too_wide(phone, "orders")

    # The chart view, as a PMS launch opens it (its own session, as from Orthotrac).
    launch = api.launch(CHART, "chart", pms_user="FRONTDESK").json()["url"]
    context = browser.new_context(viewport=PHONE)
    try:
        chart = context.new_page()
        chart.goto(live_server.url + urlsplit(launch).path)
        expect(chart.locator("#chart-view")).to_contain_text("Maximiliana")
        failures += too_wide(chart, "chart view")
    finally:
        context.close()
    assert not failures, "\n".join(failures)
