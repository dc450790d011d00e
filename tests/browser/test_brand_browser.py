"""Branding in a real browser: the owner saves a primary colour, an accent and a logo on
Settings > Branding, and the patient's portal shows them (computed styles, the logo
decoded), through /portal/brand.css under the hub's CSP, with no inline style."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from tests.branding.conftest import logo_png, media  # noqa: F401
from tests.browser.conftest import activate_portal
from tests.conftest import PASSWORD

from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_PASSWORD = "sparkly-braces-42"


def expect_header(header: Locator, background: str, text: str) -> None:
    # Retried until the page's stylesheets apply (brand.css is a stylesheet of its own).
    expect(header).to_have_css("background-color", background)
    expect(header).to_have_css("color", text)


def test_a_practices_colours_and_logo_show_in_the_portal(
    page: Page,
    browser: Browser,
    live_server: Any,
    acworth: Practice,
    owner: Any,
    issue_cards: Any,
    make_profile: Any,
    sign_in: Callable[[str, str], Page],
) -> None:
    emma = make_profile(acworth, card=issue_cards(acworth, 1)[0])
    activate_portal(emma, PORTAL_PASSWORD)
    # The owner: Settings > Branding, a pale accent refused first, then saved.
    staff = sign_in("owner", PASSWORD)
    staff.goto("/settings/")
    staff.get_by_role("link", name="Branding").click()
    staff.get_by_label("Primary colour").fill("#0b5394")
    staff.get_by_label("Accent colour").fill("#ffd966")
    upload = logo_png()
    staff.locator("#id_logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": upload.read()}]
    )
    staff.get_by_role("button", name="Save").click()
    expect(staff.get_by_text("The branding was not saved.")).to_be_visible()
    expect(staff.get_by_text("contrast of 1.29:1, and WCAG AA needs at least 3:1")).to_be_visible()
    staff.get_by_label("Accent colour").fill("#b45309")
    staff.locator("#id_logo").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png().read()}]
    )
    staff.get_by_role("button", name="Save").click()
    expect(staff.get_by_text("Branding saved.")).to_be_visible()
    current = staff.get_by_role("img", name="The current logo of Acworth Orthodontics")
    expect(current).to_be_visible()

    # The patient, on another phone.
    context = browser.new_context(base_url=live_server.url)
    portal = context.new_page()
    problems: list[str] = []
    portal.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    portal.goto("/portal/login/")
    header = portal.locator("header.p-top")
    # Before signing in: the hub's own look (the gradient, no colour of the practice).
    expect_header(header, "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    portal.get_by_label("Card number or username").fill(emma.username)
    portal.get_by_label("Password", exact=True).fill(PORTAL_PASSWORD)
    portal.get_by_role("button", name="Log in").click()
    expect(portal).to_have_url(f"{live_server.url}/portal/")
    expect_header(header, "rgb(11, 83, 148)", "rgb(255, 255, 255)")
    marker = portal.locator('.p-nav a[aria-current="page"]')
    expect(marker).to_have_css("box-shadow", re.compile(re.escape("rgb(180, 83, 9)")))
    logo = portal.locator("header img.p-logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 300
    assert problems == []  # no CSP refusal, nothing that failed to load
    # A light primary colour: near-black text, still readable.
    staff.get_by_label("Primary colour").fill("#ffcc00")
    staff.get_by_role("button", name="Save").click()
    expect(staff.get_by_text("Branding saved.")).to_be_visible()
    portal.reload()
    expect_header(header, "rgb(255, 204, 0)", "rgb(26, 26, 26)")
    context.close()
