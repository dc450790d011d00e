"""The simulator's screens, driven over HTTP against the fake hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pms_sim import charts
from pms_sim.app import make_app
from pms_sim.seed import DEMO_CHARTS, EMMA_CHART_ID
from pms_sim.server import running
from rewardshub_bridge.client import HubClient

from .conftest import SimBrowser
from .fake_hub import API_KEY, EMMA_USERNAME, NOT_SYNCED, RETIRED_CARD, FakeHub
from .html_probe import Doc, text_of

NEW_CHART = "OT-10001"  # Liam Carter, never in the hub
CARD = "6277123412341234"
SWIPE = f";{CARD}=2812?"


def set_card(sim: SimBrowser, chart_id: str, card: str) -> Doc:
    dialog = Doc(sim.get(f"/charts/{chart_id}/set-card").text)
    nonce = dialog.by_id("set-card-form").children[0].attrs["value"] or ""
    answer = sim.post(f"/charts/{chart_id}/set-card", {"card": card, "nonce": nonce})
    assert answer.location.startswith(f"/charts/{chart_id}/set-card?result=")
    return Doc(sim.follow(answer).text)


# -- Patient lookup and Patient Add ---------------------------------------------


def test_lookup_lists_every_chart_and_offers_patient_add(sim: SimBrowser) -> None:
    page = sim.get("/")
    doc = Doc(page.text)

    assert page.status == 200
    listing = text_of(doc.by_id("patient-list"))
    for chart in DEMO_CHARTS:
        assert chart["chart_id"] in listing
    assert "Johnson, Emma" in listing
    add = doc.by_id("patient-add")
    assert (text_of(add), add.attrs["href"]) == ("Patient Add", "/patients/new")


def test_lookup_searches_by_name(sim: SimBrowser) -> None:
    listing = text_of(Doc(sim.get("/?q=johnson").text).by_id("patient-list"))

    assert EMMA_CHART_ID in listing
    assert NEW_CHART not in listing


def test_patient_add_creates_a_chart_and_redirects_to_it(sim: SimBrowser, sim_db: Path) -> None:
    form = Doc(sim.get("/patients/new").text)
    assert {e.attrs["name"] for e in form.all("input") + form.all("select")} == set(
        charts.DEMOGRAPHIC_FIELDS
    )

    answer = sim.post(
        "/patients/new",
        {
            "first_name": " Zoe ",
            "last_name": "Adams",
            "birth_date": "2014-06-01",
            "pms_status": "New Patient",
            "office": "MAR",
        },
    )

    assert (answer.status, answer.location) == (303, "/charts/OT-10007")
    with charts.connect(sim_db) as conn:
        created = charts.get(conn, "OT-10007")
    assert created is not None
    assert (created.first_name, created.office, created.email) == ("Zoe", "MAR", "")
    assert "Adams, Zoe" in sim.follow(answer).text


def test_patient_add_shows_errors_and_stores_nothing(sim: SimBrowser, sim_db: Path) -> None:
    answer = sim.post(
        "/patients/new",
        {"first_name": "", "last_name": "Adams", "birth_date": "2014-02-30",
         "pms_status": "Active Tx", "office": "XXX"},
    )  # fmt: skip

    errors = text_of(Doc(answer.text).by_id("form-errors"))
    assert answer.status == 400
    assert "First Name is required." in errors
    assert "Birth Date must be a date (YYYY-MM-DD)." in errors
    assert "Choose an Office from the list." in errors
    with charts.connect(sim_db) as conn:
        assert len(charts.search(conn)) == len(DEMO_CHARTS)


def test_names_are_escaped(sim: SimBrowser) -> None:
    answer = sim.post(
        "/patients/new",
        {"first_name": "<script>x()</script>", "last_name": 'O"Hara',
         "pms_status": "New Patient", "office": "ACW"},
    )  # fmt: skip
    page = sim.follow(answer).text

    assert "<script>x()</script>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert Doc(page).inline_code() == []


# -- Patient Chart --------------------------------------------------------------


def test_chart_has_both_menus_with_the_seeds_labels(sim: SimBrowser, hub: FakeHub) -> None:
    doc = Doc(sim.get(f"/charts/{NEW_CHART}").text)

    for menu, label in (("functions", "Functions"), ("patient-chart", "Patient Chart")):
        assert text_of(doc.by_id(f"menu-{menu}").children[0]) == label
        assert text_of(doc.by_id(f"menu-{menu}-hub").children[0]) == "Patient Rewards Hub"
        set_item = doc.by_id(f"{menu}-set-card")
        assert text_of(set_item) == "Set Patient Rewards Hub Card #"
        assert set_item.attrs["href"] == f"/charts/{NEW_CHART}/set-card"
        assert text_of(doc.by_id(f"{menu}-launch")) == "Launch Patient Rewards Hub"
    assert "Patient Information" in text_of(doc.by_id("patient-information"))
    assert text_of(doc.by_id("hub-sync-badge")) == "Patient Rewards Hub: Not synced"
    # Showing the chart only asks the hub for the status; it never syncs.
    assert [(r.method, r.path) for r in hub.requests] == [
        ("GET", f"/api/v1/pms/orthotrac/patients/{NEW_CHART}")
    ]


def test_chart_tabs_sit_at_the_bottom_of_the_treatment_chart(sim: SimBrowser) -> None:
    doc = Doc(sim.get(f"/charts/{NEW_CHART}").text)

    labels = [text_of(doc.by_id(f"tab-{key}")) for key in ("treatment", "notes", "hub")]
    assert labels == ["Treatment Chart", "Notes/Comments", "Patient Rewards Hub"]
    assert doc.position("tab-panel") < doc.position("tab-treatment")
    assert doc.by_id("tab-treatment").attrs["aria-selected"] == "true"


def test_unknown_charts_and_pages_are_404(sim: SimBrowser) -> None:
    assert sim.get("/charts/OT-99999").status == 404
    assert sim.get("/charts/OT-99999/set-card").status == 404
    assert sim.post("/charts/OT-99999/launch", {}).status == 404
    assert sim.get("/nowhere").status == 404
    assert sim.get("/static/../app.py").status == 404


def test_wrong_methods_are_405(sim: SimBrowser) -> None:
    answer = sim.get(f"/charts/{NEW_CHART}/launch")

    assert (answer.status, answer.headers["Allow"]) == (405, "POST")


# -- Set Patient Rewards Hub Card # --------------------------------------------


def test_the_dialog_has_an_autofocused_card_field(sim: SimBrowser) -> None:
    doc = Doc(sim.get(f"/charts/{NEW_CHART}/set-card").text)

    card = doc.by_id("card")
    assert "autofocus" in card.attrs
    assert (card.attrs["name"], card.attrs["value"]) == ("card", "")
    assert "Card #" in [text_of(label) for label in doc.all("label")]
    assert text_of(doc.by_id("set-card-submit")) == "Set Card"
    assert text_of(doc.by_id("dialog-title")) == "Set Patient Rewards Hub Card #"


def test_a_swipe_syncs_a_new_patient_and_opens_the_hub(sim: SimBrowser, hub: FakeHub) -> None:
    doc = set_card(sim, NEW_CHART, SWIPE)

    assert "Card number set" in text_of(doc.by_id("set-card-result"))
    link = doc.by_id("hub-window")
    assert link.attrs["target"] == "_blank"
    assert "data-auto-open" in link.attrs
    token = (link.attrs["href"] or "").removeprefix(f"{hub.url}/launch/")
    assert hub.state.tokens[token] == (NEW_CHART, "synced")
    sent = [r for r in hub.requests if r.path.endswith("/card")]
    assert len(sent) == 1
    liam = DEMO_CHARTS[0]
    assert sent[0].body == {
        **{k: v for k, v in liam.items() if v and k != "chart_id"},
        "card": SWIPE,
        "pms_user": "FRONTDESK",
    }
    assert sent[0].headers["idempotency-key"].startswith("pms-sim-")
    assert doc.by_id("card").attrs["value"] == ""


def test_pasting_a_hub_username_links_the_existing_profile(sim: SimBrowser, hub: FakeHub) -> None:
    doc = set_card(sim, EMMA_CHART_ID, EMMA_USERNAME)

    assert "linked to the patient's hub profile" in text_of(doc.by_id("set-card-result"))
    assert hub.state.links[EMMA_CHART_ID] == EMMA_USERNAME
    badge = Doc(sim.get(f"/charts/{EMMA_CHART_ID}").text).by_id("hub-sync-badge")
    assert text_of(badge) == f"Patient Rewards Hub: Synced ({EMMA_USERNAME})"


@pytest.mark.parametrize(
    ("card", "message"),
    [
        (RETIRED_CARD, "This card was retired and can't be used again."),
        ("1234", "A card number has 16 digits."),
        ("E", "The card could not be read. Swipe it again."),
    ],
)
def test_a_refused_card_shows_the_hubs_message(
    sim: SimBrowser, hub: FakeHub, card: str, message: str
) -> None:
    doc = set_card(sim, NEW_CHART, card)

    assert text_of(doc.by_id("set-card-error")) == message
    assert not doc.has_id("hub-window")
    assert not doc.has_id("set-card-result")
    # The typed number stays, to be corrected.
    assert doc.by_id("card").attrs["value"] == card
    assert NEW_CHART not in hub.state.links


def test_a_conflict_shows_the_hubs_message(sim: SimBrowser, hub: FakeHub) -> None:
    hub.state.links[NEW_CHART] = EMMA_USERNAME

    doc = set_card(sim, NEW_CHART, SWIPE)

    assert text_of(doc.by_id("set-card-error")) == "This chart is linked to another profile."


def test_an_empty_card_is_refused_without_asking_the_hub(sim: SimBrowser, hub: FakeHub) -> None:
    doc = set_card(sim, NEW_CHART, "  ")

    assert text_of(doc.by_id("set-card-error")) == "Swipe the rewards card or type its number."
    assert not [r for r in hub.requests if r.path.endswith("/card")]


def test_the_result_shows_once(sim: SimBrowser) -> None:
    dialog = Doc(sim.get(f"/charts/{NEW_CHART}/set-card").text)
    nonce = dialog.by_id("set-card-form").children[0].attrs["value"] or ""
    answer = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": CARD, "nonce": nonce})

    assert Doc(sim.follow(answer).text).has_id("hub-window")
    assert not Doc(sim.follow(answer).text).has_id("hub-window")


def test_a_double_submit_replays_instead_of_syncing_twice(sim: SimBrowser, hub: FakeHub) -> None:
    dialog = Doc(sim.get(f"/charts/{NEW_CHART}/set-card").text)
    nonce = dialog.by_id("set-card-form").children[0].attrs["value"] or ""

    first = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": CARD, "nonce": nonce})
    second = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": CARD, "nonce": nonce})

    urls = [Doc(sim.follow(a).text).by_id("hub-window").attrs["href"] for a in (first, second)]
    assert urls[0] == urls[1]
    keys = {r.headers["idempotency-key"] for r in hub.requests if r.path.endswith("/card")}
    assert keys == {f"pms-sim-{nonce}"}


# -- Launch Patient Rewards Hub ------------------------------------------------


def test_launch_of_an_unsynced_patient_shows_the_hubs_message(sim: SimBrowser) -> None:
    answer = sim.post(f"/charts/{NEW_CHART}/launch", {"tab": "notes"})

    assert answer.location.startswith(f"/charts/{NEW_CHART}?tab=notes&result=")
    doc = Doc(sim.follow(answer).text)
    assert NOT_SYNCED in text_of(doc.by_id("hub-alert"))
    assert not doc.has_id("hub-window")


def test_launch_of_a_synced_patient_opens_the_profile(sim: SimBrowser, hub: FakeHub) -> None:
    hub.state.links[EMMA_CHART_ID] = EMMA_USERNAME

    doc = Doc(sim.follow(sim.post(f"/charts/{EMMA_CHART_ID}/launch", {})).text)

    link = doc.by_id("hub-window")
    token = (link.attrs["href"] or "").removeprefix(f"{hub.url}/launch/")
    assert hub.state.tokens[token] == (EMMA_CHART_ID, "profile")
    assert link.attrs["target"] == "_blank"
    launch = [r for r in hub.requests if r.path.endswith("/launch")]
    assert launch[-1].body == {"view": "profile", "pms_user": "FRONTDESK"}


# -- Patient Rewards Hub tab -----------------------------------------------------


def test_the_hub_tab_frames_a_fresh_chart_view(sim: SimBrowser, hub: FakeHub) -> None:
    hub.state.links[EMMA_CHART_ID] = EMMA_USERNAME

    pages = [sim.get(f"/charts/{EMMA_CHART_ID}?tab=hub") for _ in range(2)]

    frames = [Doc(page.text).by_id("hub-frame") for page in pages]
    assert frames[0].attrs["title"] == "Patient Rewards Hub"
    assert frames[0].attrs["src"] != frames[1].attrs["src"]
    token = (frames[1].attrs["src"] or "").removeprefix(f"{hub.url}/launch/")
    assert hub.state.tokens[token] == (EMMA_CHART_ID, "chart")
    assert f"frame-src {hub.url};" in pages[0].headers["Content-Security-Policy"]
    assert Doc(pages[0].text).by_id("tab-hub").attrs["aria-selected"] == "true"


def test_the_hub_tab_of_an_unsynced_patient_says_why(sim: SimBrowser) -> None:
    page = sim.get(f"/charts/{NEW_CHART}?tab=hub")
    doc = Doc(page.text)

    assert text_of(doc.by_id("hub-tab-message")) == NOT_SYNCED
    assert not doc.has_id("hub-frame")
    assert "frame-src 'none'" in page.headers["Content-Security-Policy"]


@pytest.fixture
def offline_sim(sim_db: Path, dead_url: str) -> Iterator[SimBrowser]:
    with running(make_app(sim_db, HubClient(dead_url, API_KEY, timeout=2))) as url:
        yield SimBrowser(url)


def test_the_chart_still_opens_when_the_hub_is_down(offline_sim: SimBrowser) -> None:
    page = offline_sim.get(f"/charts/{NEW_CHART}?tab=hub")
    doc = Doc(page.text)

    assert page.status == 200
    assert text_of(doc.by_id("hub-sync-badge")).startswith("Patient Rewards Hub: unavailable")
    assert "could not be reached" in text_of(doc.by_id("hub-tab-message"))


# -- safety -------------------------------------------------------------------------


def test_no_page_has_inline_code_and_all_send_a_strict_csp(sim: SimBrowser, hub: FakeHub) -> None:
    hub.state.links[EMMA_CHART_ID] = EMMA_USERNAME
    pages = [
        sim.get("/"),
        sim.get("/patients/new"),
        sim.post("/patients/new", {}),
        sim.get(f"/charts/{EMMA_CHART_ID}"),
        sim.get(f"/charts/{EMMA_CHART_ID}?tab=hub"),
        sim.get(f"/charts/{EMMA_CHART_ID}?tab=notes"),
        sim.follow(sim.post(f"/charts/{EMMA_CHART_ID}/launch", {})),
        sim.follow(sim.post(f"/charts/{NEW_CHART}/launch", {})),
        sim.get(f"/charts/{EMMA_CHART_ID}/set-card"),
        sim.follow(sim.post(f"/charts/{NEW_CHART}/set-card", {"card": CARD})),
        sim.get("/charts/nope"),
    ]

    for page in pages:
        assert Doc(page.text).inline_code() == []
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served(sim: SimBrowser) -> None:
    js = sim.get("/static/sim.js")
    css = sim.get("/static/sim.css")

    assert (js.status, js.headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert "window.open" in js.text
    assert (css.status, css.headers["Content-Type"]) == (200, "text/css; charset=utf-8")


def test_a_cross_site_post_is_refused(sim: SimBrowser, sim_db: Path) -> None:
    answer = sim.post(
        "/patients/new",
        {"first_name": "A", "last_name": "B", "pms_status": "New Patient", "office": "ACW"},
        origin="http://evil.example",
    )

    assert answer.status == 403
    with charts.connect(sim_db) as conn:
        assert len(charts.search(conn)) == len(DEMO_CHARTS)


def test_a_same_origin_post_is_accepted(sim: SimBrowser) -> None:
    answer = sim.post(
        "/patients/new",
        {"first_name": "A", "last_name": "B", "pms_status": "New Patient", "office": "ACW"},
        origin=sim.base_url,
    )

    assert answer.status == 303


def test_healthz_answers_ok(sim: SimBrowser) -> None:
    assert (sim.get("/healthz").status, sim.get("/healthz").text) == (200, "ok")
