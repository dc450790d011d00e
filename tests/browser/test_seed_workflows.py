"""The seed's three Orthotrac workflows, clicked through the simulator against the live hub.

Staff work in two windows, as at the front desk: Orthotrac (the simulator,
talking to the hub only through the integration API with its own key) and
the hub windows Orthotrac opens. The sim is served on the hub's host name
(another port), which is what makes the chart tab's cookies work with the
default SameSite=Lax, as in `make run`.

Every launch also checks the contract's promises about addresses: the window
lands on a clean URL (no token, no patient data), a launch link works once,
and only the practice's listed origins may frame the chart view.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, FrameLocator, Locator, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS

from pms_sim.app import make_app
from pms_sim.seed import DEMO_CHARTS, EMMA_CHART_ID, seed
from pms_sim.server import running
from rewardshub.audit.actors import Actor
from rewardshub.cards.actions import connect_card
from rewardshub.cards.models import Card, CardState
from rewardshub.integrations.actions import add_tag_rule, create_key, set_frame_ancestors
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.models import Practice
from rewardshub_bridge.client import HubClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests/conftest.py's staff password
SYSTEM = Actor.system("tests")
NOT_SYNCED = (
    "This patient has not synced with the Patient Rewards Hub. In Orthotrac, open Patient "
    "Chart > Patient Rewards Hub > Set Patient Rewards Hub Card #, set the card number (swipe "
    "the card or paste the hub username), then try again."
)
SPENT = "This link was already used or has expired"
RETRY = "Go back to Orthotrac and click Launch Patient Rewards Hub again"
AVA_CHART_ID = "OT-10006"  # a demo chart: Ava Martinez, "Active Tx" at "ACW"
NOAH_CHART_ID = "OT-10003"  # a demo chart never synced
EMMA_BORN = dt.date.fromisoformat(
    next(row["birth_date"] for row in DEMO_CHARTS if row["chart_id"] == EMMA_CHART_ID)
)


# -- the world: a practice with an Orthotrac key, cards, a tag mapping and the sim ---------------


@dataclass
class Sim:
    url: str  # on the hub's host name: same site as the hub
    api: HubClient  # the sim's own key, for setting up what earlier days left behind


@pytest.fixture
def cards(acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> list[str]:
    return issue_cards(acworth, 4)


@pytest.fixture
def tag_mapping(acworth: Practice) -> None:
    for field, value, tag in (
        ("pms_status", "Active Tx", "*Orthodontic Patient"),
        ("office", "ACW", "*Acworth"),
    ):
        add_tag_rule(
            practice=acworth,
            system="orthotrac",
            field=field,
            value=value,
            tag=Tag.objects.get(practice=acworth, name=tag),
            actor=SYSTEM,
        )


@pytest.fixture
def sim(live_server: Any, acworth: Practice, tag_mapping: None, tmp_path: Path) -> Iterator[Sim]:
    key = create_key(practice=acworth, name="Front desk PC", system="orthotrac", actor=SYSTEM)
    db_path = tmp_path / "pms_sim.sqlite3"
    seed(db_path)
    api = HubClient(live_server.url, key.token)
    hub_host = urlsplit(live_server.url).hostname
    with running(make_app(db_path, api)) as served:
        url = f"http://{hub_host}:{urlsplit(served).port}"
        # Settings > PMS chart tab: the sim may frame the chart view.
        set_frame_ancestors(practice=acworth, origins=[url], actor=SYSTEM)
        yield Sim(url=url, api=api)


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    opened = browser.new_context()
    opened.set_default_timeout(ACTION_TIMEOUT_MS)
    opened.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    yield opened
    opened.close()


@pytest.fixture
def pms(context: BrowserContext, sim: Sim) -> Page:
    """The Orthotrac window."""
    return context.new_page()


# -- what staff do in Orthotrac ------------------------------------------------------------------


def swipe(number: str) -> str:
    """Track 2 of a rewards card, as the reader types it."""
    return f";{number}=9912?"


def open_chart(pms: Page, sim: Sim, chart_id: str) -> None:
    pms.goto(f"{sim.url}/charts/{chart_id}")
    expect(pms.locator("#patient-information")).to_contain_text(chart_id)


def menu(pms: Page, menu_key: str, item: str) -> Locator:
    """Open e.g. Functions > Patient Rewards Hub; returns the item ("set-card" or "launch")."""
    # Back to the Orthotrac window (a hidden tab's animation frames would stall every click).
    pms.bring_to_front()
    pms.locator(f"#menu-{menu_key} > summary").click()
    pms.locator(f"#menu-{menu_key}-hub > summary").click()
    found = pms.locator(f"#{menu_key}-{item}")
    expect(found).to_be_visible()
    return found


def set_card(pms: Page, menu_key: str, card: str, *, paste: bool = False) -> tuple[Page, str]:
    """Set Patient Rewards Hub Card #: swipe (or type, or paste) and Enter.

    Returns the hub window Orthotrac opened and the one-time URL it was given.
    """
    menu(pms, menu_key, "set-card").click()
    field = pms.locator("#card")
    expect(field).to_be_focused()
    with pms.expect_popup() as popup:
        if paste:
            field.press("ControlOrMeta+V")
            expect(field).to_have_value(card)
        else:
            field.press_sequentially(card)
        field.press("Enter")
    window = popup.value
    window.wait_for_url("**/synced/")
    return window, pms.locator("#hub-window").get_attribute("href") or ""


def close_set_card_dialog(pms: Page) -> None:
    pms.get_by_role("dialog").get_by_role("link", name="Close").click()
    expect(pms.locator("#patient-information")).to_be_visible()


def launch(pms: Page, menu_key: str) -> tuple[Page, str]:
    """Launch Patient Rewards Hub; returns the hub window and the one-time URL it was given."""
    with pms.expect_popup() as popup:
        menu(pms, menu_key, "launch").click()
    window = popup.value
    window.wait_for_url(re.compile(r".*/patients/[0-9a-f-]{36}/$"))
    return window, pms.locator("#hub-window").get_attribute("href") or ""


def open_hub_tab(pms: Page) -> tuple[FrameLocator, Any]:
    """Click the chart's bottom tab; returns its frame and the chart view's response."""
    pms.bring_to_front()
    with pms.expect_response(lambda response: "/chart/" in response.url) as answer:
        pms.locator("#tab-hub").click()
    expect(pms.locator("#hub-frame")).to_be_visible()
    return pms.frame_locator("#hub-frame"), answer.value


def hub_frame(pms: Page) -> Frame:
    frame = pms.locator("#hub-frame").element_handle().content_frame()
    assert frame is not None
    return frame


# -- what the hub must show ----------------------------------------------------------------------


def rgb(locator: Locator) -> tuple[int, int, int]:
    colour = locator.evaluate("element => getComputedStyle(element).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    return red, green, blue


def assert_orange(locator: Locator) -> None:
    red, green, blue = rgb(locator)
    assert red > 200 and blue < 80 and red > green > blue, (red, green, blue)


def assert_blue(locator: Locator) -> None:
    red, green, blue = rgb(locator)
    assert blue > 180 and red < 100 and blue > green, (red, green, blue)


def assert_clean_address(url: str, launch_url: str, *private: str) -> None:
    """No launch token and no patient data (name, username, card number) in the address."""
    token = urlsplit(launch_url).path.rsplit("/", 1)[-1]
    assert len(token) > 20 and token not in url, url
    assert "/launch/" not in url, url
    for value in private:
        assert value and value.lower() not in url.lower(), (value, url)


def assert_spent(context: BrowserContext, launch_url: str) -> None:
    """A launch link works once: opening it again, in this browser, says so."""
    # Through the context's own request client (same cookies), so no window steals the focus.
    response = context.request.get(launch_url)
    assert response.status == 410
    page = html.unescape(response.text())
    assert SPENT in page and RETRY in page, page


def frame_ancestors(response: Any) -> list[str]:
    """The sources of the response's CSP frame-ancestors (directives come in any order)."""
    for directive in response.headers["content-security-policy"].split(";"):
        name, *sources = directive.split() or [""]
        if name == "frame-ancestors":
            return sources
    raise AssertionError("no frame-ancestors")


def assert_synced_window(window: Page, browser_url: str, first_name: str, *private: str) -> None:
    """The window Set card opens says the patient is synced and may be closed; staff close it."""
    expect(window.get_by_role("heading")).to_have_text(
        f"{first_name} is synced with the Patient Rewards Hub."
    )
    expect(window.get_by_text("You can close this window.")).to_be_visible()
    assert_clean_address(window.url, browser_url, first_name, *private)
    window.close()


def copy_username(where: Page | Frame) -> None:
    """Click "Copy username"; returns once the button said "Copied" (the copy is done then).

    Checked on every animation frame: the label goes back after 1.5 s.
    """
    where.get_by_role("button", name="Copy username").click()
    where.wait_for_function(
        "() => [...document.querySelectorAll('button[data-copy]')]"
        ".some(button => button.textContent === 'Copied')"
    )


def clipboard(page: Page) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


def selected_option(scope: Page | FrameLocator, label: str) -> Locator:
    return scope.get_by_label(label, exact=True).locator("option:checked")


def sign_in_hub(page: Page, live_server: Any) -> Page:
    """Front-desk staff sign in to the hub through the login form."""
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients/")
    return page


def search_hub(page: Page, text: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    box = page.get_by_label("Search patients")
    box.fill(text)
    box.press("Enter")


# -- 1. New patient ------------------------------------------------------------------------------


def test_it_syncs_a_new_patient_connects_the_card_and_shows_the_chart_tab(
    context: BrowserContext, pms: Page, sim: Sim, acworth: Practice, cards: list[str]
) -> None:
    card = cards[0]
    # Patient Add in Orthotrac: a new chart, no status mapping ("New Patient"), office ACW.
    pms.goto(sim.url + "/")
    pms.locator("#patient-add").click()
    pms.get_by_label("First Name").fill("Harper")
    pms.get_by_label("Last Name").fill("Quinn")
    pms.get_by_label("Birth Date").fill("2012-06-01")
    pms.get_by_label("Status").select_option("New Patient")
    pms.get_by_label("Office").select_option("ACW")
    pms.get_by_role("button", name="Save").click()
    pms.wait_for_url(re.compile(r".*/charts/OT-\d+$"))
    chart_id = pms.url.rsplit("/", 1)[-1]
    expect(pms.locator("#hub-sync-badge")).to_have_text("Patient Rewards Hub: Not synced")

    # Patient Chart > Patient Rewards Hub > Set Patient Rewards Hub Card #, swipe: a window says
    # the patient is synced; close it.
    window, browser_url = set_card(pms, "patient-chart", swipe(card))
    expect(pms.locator("#set-card-result")).to_contain_text(
        f"A new hub profile was created for this patient (username {card})."
    )
    assert_synced_window(window, browser_url, "Harper", "Quinn", card, chart_id)
    assert_spent(context, browser_url)
    profile = Profile.objects.get(practice=acworth, username=card)
    assert PmsLink.objects.get(profile=profile).chart_id == chart_id
    close_set_card_dialog(pms)
    expect(pms.locator("#hub-sync-badge")).to_have_text(f"Patient Rewards Hub: Synced ({card})")

    # Patient Chart > Patient Rewards Hub > Launch: the new profile, with the orange Connect Card.
    hub, launch_url = launch(pms, "patient-chart")
    assert hub.url.endswith(f"/patients/{profile.public_id}/")
    assert_clean_address(hub.url, launch_url, "Harper", "Quinn", card, chart_id)
    assert_spent(context, launch_url)
    expect(hub.get_by_role("heading", name="Harper Quinn")).to_be_visible()
    expect(hub.locator("#profile-username")).to_have_text(card)
    connect = hub.get_by_role("button", name="Connect Card", exact=True)
    assert_orange(connect)
    expect(hub.get_by_role("button", name="Replace Card")).to_have_count(0)

    # Connect Card, swipe: the button turns blue and says Replace Card.
    connect.click()
    field = hub.get_by_label("Card number", exact=True)
    field.press_sequentially(swipe(card))
    field.press("Enter")
    expect(hub.get_by_text(f"Card …{card[-4:]} is connected.")).to_be_visible()
    replace = hub.get_by_role("button", name="Replace Card", exact=True)
    assert_blue(replace)
    expect(hub.get_by_role("button", name="Connect Card")).to_have_count(0)

    # Tags: the mapping gave the location (office ACW); staff pick the status.
    expect(selected_option(hub, "Location")).to_have_text("*Acworth")
    expect(selected_option(hub, "Status")).to_have_text("No status tag")
    hub.get_by_label("Status", exact=True).select_option(label="*Orthodontic Patient")
    expect(hub.get_by_text("Status set to *Orthodontic Patient.")).to_be_visible()
    expect(hub.locator(".missing-tag")).to_have_count(0)
    assert set(profile.tags.values_list("name", flat=True)) == {"*Orthodontic Patient", "*Acworth"}
    hub.close()

    # The chart's "Patient Rewards Hub" tab shows the hub's chart view of this patient.
    frame, answer = open_hub_tab(pms)
    assert frame_ancestors(answer) == [sim.url]
    expect(frame.get_by_role("heading", name="Harper Quinn")).to_be_visible()
    expect(frame.locator("#profile-username")).to_have_text(card)
    assert_blue(frame.get_by_role("button", name="Replace Card", exact=True))
    expect(selected_option(frame, "Status")).to_have_text("*Orthodontic Patient")
    expect(selected_option(frame, "Location")).to_have_text("*Acworth")
    tab_url = hub_frame(pms).url
    assert tab_url.endswith(f"/chart/{profile.public_id}/")
    frame_src = pms.locator("#hub-frame").get_attribute("src") or ""
    assert_clean_address(tab_url, frame_src, "Harper", "Quinn", card, chart_id)
    assert_spent(context, frame_src)


def test_connect_card_proposes_the_card_set_in_orthotrac(
    context: BrowserContext, pms: Page, sim: Sim, acworth: Practice, cards: list[str]
) -> None:
    # The new-patient workflow, but at the hub staff pick up another card than the one set.
    card, other = cards[0], cards[1]
    pms.goto(sim.url + "/")
    pms.locator("#patient-add").click()
    pms.get_by_label("First Name").fill("Rowan")
    pms.get_by_label("Last Name").fill("Ellis")
    pms.get_by_label("Birth Date").fill("2011-03-09")
    pms.get_by_label("Status").select_option("New Patient")
    pms.get_by_label("Office").select_option("ACW")
    pms.get_by_role("button", name="Save").click()
    pms.wait_for_url(re.compile(r".*/charts/OT-\d+$"))
    window, browser_url = set_card(pms, "patient-chart", swipe(card))
    assert_synced_window(window, browser_url, "Rowan", "Ellis", card)
    close_set_card_dialog(pms)

    hub, _ = launch(pms, "patient-chart")
    assert_orange(hub.get_by_role("button", name="Connect Card", exact=True))
    proposed = f"Card …{card[-4:]} was set in Orthotrac: swipe it now."
    expect(hub.locator(".card-button")).to_contain_text(proposed)
    hub.get_by_role("button", name="Connect Card", exact=True).click()
    expect(hub.locator("[data-set-card]")).to_contain_text(proposed)

    # Typing another card asks first and says what happens to the card Orthotrac set.
    hub.get_by_label("Card number", exact=True).fill(other)
    hub.get_by_label("Confirm card number", exact=True).fill(other)
    hub.get_by_role("button", name="Connect Card", exact=True).click()
    confirm = hub.locator("[data-confirm-set]")
    expect(confirm).to_contain_text(f"…{card[-4:]} stays this patient's username")
    expect(confirm).to_contain_text(f"temporary portal password printed with card …{card[-4:]}")
    assert Card.objects.get(number=other).state == CardState.AVAILABLE
    hub.get_by_role("button", name=f"Connect …{other[-4:]} and retire …{card[-4:]}").click()
    expect(hub.get_by_text(f"Card …{other[-4:]} is connected.")).to_be_visible()
    assert_blue(hub.get_by_role("button", name="Replace Card", exact=True))
    expect(hub.locator("#profile-username")).to_have_text(card)
    retired = Card.objects.get(number=card)
    assert retired.state == CardState.RETIRED and retired.replaced_by.number == other


# -- 2. Existing hub patient, not synced ---------------------------------------------------------


def test_it_syncs_an_existing_hub_patient_from_the_copied_username(
    browser: Browser,
    live_server: Any,
    context: BrowserContext,
    pms: Page,
    sim: Sim,
    frontdesk: Any,
    acworth: Practice,
    cards: list[str],
    make_profile: Callable[..., Profile],
) -> None:
    # Emma has been in the hub for a while, with a card; Orthotrac's chart OT-10004 is hers
    # (the same name and birth date, as in the demo data: the hub links her at once).
    emma = make_profile(
        acworth,
        "Emma",
        "Johnson",
        card=cards[1],
        tags=("*Orthodontic Patient", "*Acworth"),
        birth_date=EMMA_BORN,
    )
    username = emma.username

    # In the hub (this browser, signed in): her profile, "Copy username".
    hub = sign_in_hub(context.new_page(), live_server)
    search_hub(hub, "Emma Johnson")
    hub.get_by_role("link", name="Johnson, Emma").click()
    copy_username(hub)
    assert clipboard(hub) == username

    # In Orthotrac: Functions > Patient Rewards Hub > Set card, paste, Enter: synced.
    open_chart(pms, sim, EMMA_CHART_ID)
    expect(pms.locator("#hub-sync-badge")).to_have_text("Patient Rewards Hub: Not synced")
    window, browser_url = set_card(pms, "functions", username, paste=True)
    expect(pms.locator("#set-card-result")).to_contain_text(
        f"This chart is now linked to the patient's hub profile (username {username})."
    )
    assert_synced_window(window, browser_url, "Emma", "Johnson", username, EMMA_CHART_ID)
    assert PmsLink.objects.get(practice=acworth, chart_id=EMMA_CHART_ID).profile == emma
    close_set_card_dialog(pms)

    # Functions > Launch Patient Rewards Hub opens that very profile.
    opened, launch_url = launch(pms, "functions")
    assert opened.url.endswith(f"/patients/{emma.public_id}/")
    assert_clean_address(opened.url, launch_url, "Emma", "Johnson", username, EMMA_CHART_ID)
    expect(opened.locator("#profile-username")).to_have_text(username)
    expect(opened.get_by_role("heading", name="Emma Johnson")).to_be_visible()
    assert_blue(opened.get_by_role("button", name="Replace Card", exact=True))
    assert_spent(context, launch_url)

    # A chart never synced: Launch says so, in the hub's words, and opens no window.
    open_chart(pms, sim, NOAH_CHART_ID)
    menu(pms, "functions", "launch").click()
    expect(pms.locator("#hub-alert")).to_contain_text(NOT_SYNCED)
    expect(pms.locator("#hub-window")).to_have_count(0)
    assert len(context.pages) == 3  # the sim, the hub, the launched window
    pms.locator("#tab-hub").click()
    expect(pms.locator("#hub-tab-message")).to_have_text(NOT_SYNCED)
    expect(pms.locator("#hub-frame")).to_have_count(0)


# -- 3. Replacing a card from the chart tab ------------------------------------------------------


@pytest.fixture
def ava(sim: Sim, acworth: Practice, cards: list[str]) -> Profile:
    """Synced earlier through Orthotrac (chart OT-10006), her first card connected."""
    chart = next(row for row in DEMO_CHARTS if row["chart_id"] == AVA_CHART_ID)
    demographics = {name: value for name, value in chart.items() if name != "chart_id"}
    answer = sim.api.set_card("orthotrac", AVA_CHART_ID, swipe(cards[2]), demographics)
    assert answer["outcome"] == "created"
    profile = Profile.objects.get(practice=acworth, username=cards[2])
    connect_card(practice=acworth, profile=profile, raw=cards[2], actor=SYSTEM)
    return profile


def test_it_replaces_the_card_from_the_chart_tab_and_keeps_the_sync(
    browser: Browser,
    live_server: Any,
    context: BrowserContext,
    pms: Page,
    sim: Sim,
    frontdesk: Any,
    acworth: Practice,
    ava: Profile,
    cards: list[str],
) -> None:
    old, new = cards[2], cards[3]
    open_chart(pms, sim, AVA_CHART_ID)

    # The chart's Patient Rewards Hub tab: her profile, with the blue Replace Card.
    frame, _ = open_hub_tab(pms)
    expect(frame.get_by_role("heading", name="Ava Martinez")).to_be_visible()
    expect(frame.locator(".card-state")).to_contain_text(f"card …{old[-4:]}")
    replace = frame.get_by_role("button", name="Replace Card", exact=True)
    assert_blue(replace)

    # Replace Card, swipe the new card: back in the tab, blue again, with the new card.
    replace.click()
    expect(frame.get_by_role("heading", name="Replace Card")).to_be_visible()
    field = frame.get_by_label("Card number", exact=True)
    field.press_sequentially(swipe(new))
    field.press("Enter")
    expect(frame.get_by_text(f"Card …{new[-4:]} is now the active card.")).to_be_visible()
    expect(frame.locator(".card-state")).to_contain_text(f"card …{new[-4:]}")
    assert_blue(frame.get_by_role("button", name="Replace Card", exact=True))
    assert hub_frame(pms).url.endswith(f"/chart/{ava.public_id}/")
    assert Card.objects.get(number=old).state == CardState.RETIRED
    assert Card.objects.get(number=new).profile == ava

    # In the hub (another computer at the desk), the new card finds her; the old one says it
    # was replaced.
    with browser.new_context() as staff:
        hub = sign_in_hub(staff.new_page(), live_server)
        search_hub(hub, swipe(new))
        hub.wait_for_url(f"**/patients/{ava.public_id}/")
        search_hub(hub, swipe(old))
        expect(hub.get_by_role("alert")).to_contain_text("This card was replaced on")

    # Orthotrac was not touched: the link key is the username (her first card's number), which
    # stays valid for life. Setting it again on her chart changes nothing...
    window, browser_url = set_card(pms, "functions", old)
    expect(pms.locator("#set-card-result")).to_contain_text(
        f"This chart was already linked to this hub profile (username {old})."
    )
    assert_synced_window(window, browser_url, "Ava", "Martinez", old, new, AVA_CHART_ID)
    assert Card.objects.get(number=old).state == CardState.RETIRED
    assert Card.objects.get(number=new).state == CardState.ACTIVE
    # ...and on another chart it is refused: the number names her, synced with her own chart.
    open_chart(pms, sim, NOAH_CHART_ID)
    menu(pms, "functions", "set-card").click()
    expect(pms.locator("#card")).to_be_focused()  # the page is ready for the swipe
    pms.locator("#card").press_sequentially(swipe(old))
    # The whole swipe reached the box (a failure here is the browser's typing, not the hub).
    expect(pms.locator("#card")).to_have_value(swipe(old))
    pms.locator("#card").press("Enter")
    expect(pms.locator("#set-card-error")).to_have_text(
        f"This hub patient is already synced with Orthotrac chart {AVA_CHART_ID}. Check that you "
        "opened the right chart: a hub patient can be synced with only one chart."
    )
    assert not PmsLink.objects.filter(chart_id=NOAH_CHART_ID).exists()

    # Launch still opens the same profile, with the new card.
    open_chart(pms, sim, AVA_CHART_ID)
    opened, launch_url = launch(pms, "patient-chart")
    assert opened.url.endswith(f"/patients/{ava.public_id}/")
    assert_clean_address(opened.url, launch_url, "Ava", "Martinez", old, new, AVA_CHART_ID)
    expect(opened.locator(".card-state")).to_contain_text(f"card …{new[-4:]}")
    assert_blue(opened.get_by_role("button", name="Replace Card", exact=True))


# -- The chart tab: stays in the frame; only the practice's origins may frame it -----------------


def test_it_changes_tags_and_copies_the_username_inside_the_chart_tab(
    context: BrowserContext, pms: Page, sim: Sim, ava: Profile
) -> None:
    open_chart(pms, sim, AVA_CHART_ID)
    frame, _ = open_hub_tab(pms)
    # The tag mapping tagged her on sync (status "Active Tx", office "ACW").
    expect(selected_option(frame, "Status")).to_have_text("*Orthodontic Patient")
    expect(selected_option(frame, "Location")).to_have_text("*Acworth")

    frame.get_by_label("Location", exact=True).select_option(label="*Marietta")
    expect(frame.get_by_text("Location set to *Marietta.")).to_be_visible()
    expect(selected_option(frame, "Location")).to_have_text("*Marietta")
    assert hub_frame(pms).url.endswith(f"/chart/{ava.public_id}/")
    assert pms.url.endswith(f"/charts/{AVA_CHART_ID}?tab=hub")
    assert set(ava.tags.values_list("name", flat=True)) == {"*Orthodontic Patient", "*Marietta"}

    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sim.url)
    copy_username(hub_frame(pms))
    assert clipboard(pms) == ava.username


def test_it_lets_only_the_practices_listed_origins_show_the_chart_tab(
    pms: Page, sim: Sim, acworth: Practice, ava: Profile
) -> None:
    open_chart(pms, sim, AVA_CHART_ID)
    frame, answer = open_hub_tab(pms)
    assert frame_ancestors(answer) == [sim.url]
    expect(frame.get_by_role("heading", name="Ava Martinez")).to_be_visible()

    # The practice lists another PMS address instead: this one can no longer show the tab.
    set_frame_ancestors(practice=acworth, origins=["https://pms.example.com"], actor=SYSTEM)
    with pms.expect_event(
        "framenavigated", predicate=lambda navigated: navigated.url.startswith("chrome-error:")
    ):
        _, answer = open_hub_tab(pms)
    assert frame_ancestors(answer) == ["https://pms.example.com"]
    expect(pms.frame_locator("#hub-frame").get_by_text("Ava Martinez")).to_have_count(0)
