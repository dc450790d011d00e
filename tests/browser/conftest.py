"""A real chromium for the browser tests: launched once per test worker, a fresh context per test.

The tests drive the hub served by pytest-django's `live_server` (so they use
the transactional database) and sign in through the real login form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes

CHROMIUM = "/usr/bin/chromium"
# How long a browser action or a wait for a window may take. A passing test
# never waits it out; on a slow machine with the suite's other worker busy,
# a set card's window once took longer than 10 s to open.
ACTION_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def sign_in(page: Page) -> Callable[[str, str], Page]:
    """Sign in through the login form; returns the page on the patients list."""

    def go(username: str, password: str) -> Page:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/patients/")
        return page

    return go


def activate_portal(profile: Profile, password: str) -> None:
    """The patient's portal account, activated with this password (no email), as
    the welcome page would after the first log-in with the card's temporary one."""
    activate_account(
        profile=profile,
        temp_hash=temp_password_hashes(profile, None)[0],
        password=password,
        email="",
        actor=Actor.system("tests"),
    )
