"""Must show 1: front-desk staff award points from the profile and from the PMS chart tab
(inside a frame, as Orthotrac shows it); balance and history update; a reversal restores it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.integrations.conftest import CHART, EMMA, Api, make_key
from tests.points.conftest import menu as points_menu

from rewardshub.audit.actors import Actor
from rewardshub.integrations.actions import set_frame_ancestors
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
menu = points_menu  # the points tests' reward menu fixture
SYSTEM = Actor.system("tests")


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def emma(api: Api, acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> Profile:
    """Emma, synced from Orthotrac's chart CHART."""
    assert api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA).status_code == 200
    return Profile.objects.get(practice=acworth)


@pytest.fixture
def pms_page(live_server: Any, acworth: Practice) -> Iterator[Callable[[str], str]]:
    """A stand-in for Orthotrac's chart: a page on another port of the hub's host that
    frames a launch link, as the chart's "Patient Rewards Hub" tab does."""
    framed: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = (
                "<!doctype html><title>Orthotrac</title><h1>Patient chart</h1>"
                f'<iframe id="hub-frame" src="{framed["src"]}" width="1000" height="1400">'
                "</iframe>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    host = urlsplit(live_server.url).hostname
    server = ThreadingHTTPServer((host or "127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://{host}:{server.server_address[1]}"
    set_frame_ancestors(practice=acworth, origins=[origin], actor=SYSTEM)

    def frame(src: str) -> str:
        framed["src"] = src
        return origin + "/chart"

    yield frame
    server.shutdown()
    server.server_close()


def history_row(scope: Page | FrameLocator, text: str) -> Locator:
    return scope.locator(".points-history tbody tr").filter(has_text=text)


def reverse(scope: Page | FrameLocator, row: Locator, reason: str) -> None:
    row.get_by_text("Reverse", exact=True).click()
    row.get_by_label("Reason").fill(reason)
    row.get_by_role("button", name="Reverse entry").click()


def test_it_awards_from_the_profile_and_the_chart_tab_and_reverses(
    sign_in: Callable[[str, str], Page],
    browser: Browser,
    live_server: Any,
    pms_page: Callable[[str], str],
    api: Api,
    frontdesk: Any,
    acworth: Practice,
    emma: Profile,
    menu: dict[str, RewardItem],
) -> None:
    # -- the profile page ------------------------------------------------------------------
    page = sign_in("frontdesk", PASSWORD)
    page.goto(f"/patients/{emma.public_id}/")
    expect(page.locator("p.points")).to_have_text("0")
    expect(page.get_by_text("No points yet.")).to_be_visible()
    page.get_by_label("On time").check()
    page.get_by_label("Wearing elastics").check()
    page.get_by_label("Description (optional)").fill("Adjustment visit")
    page.get_by_role("button", name="Award points").click()

    expect(page.get_by_role("status").filter(has_text="Awarded")).to_have_text(
        "Awarded 8 points. New balance: 8."
    )
    expect(page.locator("p.points")).to_have_text("8")
    expect(history_row(page, "Wearing elastics")).to_contain_text("+5")
    expect(history_row(page, "On time")).to_contain_text("Adjustment visit")

    # A reversal, with its reason, gives the balance back.
    reverse(page, history_row(page, "Wearing elastics"), "Forgot to wear them")
    expect(page.get_by_role("status").filter(has_text="Reversed")).to_have_text(
        "Reversed 5 points. New balance: 3."
    )
    expect(page.locator("p.points")).to_have_text("3")
    expect(history_row(page, "Reversal of Wearing elastics")).to_contain_text("-5")
    expect(history_row(page, "Reversal of Wearing elastics")).to_contain_text("Forgot to wear them")

    # -- the chart tab, framed by the PMS, in a session opened by a launch link ---------------
    launch = api.launch(CHART, "chart", pms_user="FRONTDESK").json()["url"]
    launch = live_server.url + urlsplit(launch).path
    pms = browser.new_context()
    pms.set_default_timeout(ACTION_TIMEOUT_MS)
    orthotrac = pms.new_page()
    orthotrac.goto(pms_page(launch))
    frame = orthotrac.frame_locator("#hub-frame")
    expect(frame.locator("#chart-view")).to_contain_text("Emma")
    expect(history_row(frame, "On time")).to_be_visible()
    frame.get_by_label("Good oral hygiene").check()
    frame.get_by_role("button", name="Award points").click()
    expect(frame.get_by_role("status").filter(has_text="Awarded")).to_have_text(
        "Awarded 3 points. New balance: 6."
    )
    expect(history_row(frame, "Good oral hygiene")).to_contain_text("FRONTDESK via Orthotrac")
    # Still the chart view, still inside Orthotrac's frame.
    assert orthotrac.url.endswith("/chart")
    chart_frame = orthotrac.frame(url=f"{live_server.url}/chart/{emma.public_id}/")
    assert chart_frame is not None

    reverse(frame, history_row(frame, "Good oral hygiene"), "Wrong patient")
    expect(frame.get_by_role("status").filter(has_text="Reversed")).to_have_text(
        "Reversed 3 points. New balance: 3."
    )
    pms.close()

    # The profile page shows what the chart tab did.
    page.reload()
    expect(page.locator("p.points")).to_have_text("3")
    expect(history_row(page, "Reversal of Good oral hygiene")).to_contain_text("Wrong patient")
    emma.refresh_from_db()
    assert emma.points_balance == 3
    assert sum(LedgerEntry.objects.filter(profile=emma).values_list("points", flat=True)) == 3
