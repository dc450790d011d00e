"""The Orthotrac simulator's screens, driven over HTTP.

Screens that sync, launch or frame the hub run against the live hub with
Acworth's key; the sim's own screens (lookup, Patient Add, static files) run
with no hub at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from pms_sim import charts
from pms_sim.seed import DEMO_CHARTS, EMMA_CHART_ID
from rewardshub.cards.numbers import luhn_check_digit
from rewardshub.integrations.models import IdempotencyRecord, LaunchToken, PmsLink, SyncEvent
from rewardshub.integrations.systems import not_synced_message
from rewardshub.patients.models import Profile
from rewardshub_bridge.client import HubClient

from .conftest import Hub, SimBrowser, hub_state, last_failure, open_once
from .html_probe import Doc, text_of

NEW_CHART = "OT-10001"  # Liam Carter, never in the hub
LIAM = DEMO_CHARTS[0]
NOT_SYNCED = not_synced_message("orthotrac")
# The chart's demographics a profile stores as they are (status and office map to tags).
PROFILE_FIELDS = [
    name for name in charts.DEMOGRAPHIC_FIELDS if name not in ("pms_status", "office")
]


def swipe(number: str) -> str:
    return f";{number}=9912?"


def dialog_nonce(sim: SimBrowser, chart_id: str) -> str:
    dialog = Doc(sim.get(f"/charts/{chart_id}/set-card").text)
    return dialog.by_id("set-card-form").children[0].attrs["value"] or ""


def set_card(sim: SimBrowser, chart_id: str, card: str) -> Doc:
    """Open the dialog, submit the card, and read the dialog it redirects back to."""
    nonce = dialog_nonce(sim, chart_id)
    answer = sim.post(f"/charts/{chart_id}/set-card", {"card": card, "nonce": nonce})
    assert answer.location.startswith(f"/charts/{chart_id}/set-card?result=")
    return Doc(sim.follow(answer).text)


def link(client: HubClient, chart_id: str, number: str) -> str:
    """Sync a chart through the API, as an earlier Set Card would have; its profile id."""
    answer = client.set_card("orthotrac", chart_id, number, {"first_name": "A", "last_name": "B"})
    return str(answer["profile_id"])


# -- Patient lookup and Patient Add (no hub) ---------------------------------------------


def test_lookup_lists_every_chart_and_offers_patient_add(offline_sim: SimBrowser) -> None:
    page = offline_sim.get("/")
    doc = Doc(page.text)

    assert page.status == 200
    listing = text_of(doc.by_id("patient-list"))
    for chart in DEMO_CHARTS:
        assert chart["chart_id"] in listing
    assert "Johnson, Emma" in listing
    add = doc.by_id("patient-add")
    assert (text_of(add), add.attrs["href"]) == ("Patient Add", "/patients/new")


def test_lookup_searches_by_name(offline_sim: SimBrowser) -> None:
    listing = text_of(Doc(offline_sim.get("/?q=johnson").text).by_id("patient-list"))

    assert EMMA_CHART_ID in listing
    assert NEW_CHART not in listing


def test_patient_add_creates_a_chart_and_redirects_to_it(
    offline_sim: SimBrowser, sim_db: Path
) -> None:
    form = Doc(offline_sim.get("/patients/new").text)
    assert {e.attrs["name"] for e in form.all("input") + form.all("select")} == set(
        charts.DEMOGRAPHIC_FIELDS
    )

    answer = offline_sim.post(
        "/patients/new",
        {"first_name": " Zoe ", "last_name": "Adams", "birth_date": "2014-06-01",
         "pms_status": "New Patient", "office": "MAR"},
    )  # fmt: skip

    assert (answer.status, answer.location) == (303, "/charts/OT-10007")
    with charts.connect(sim_db) as conn:
        created = charts.get(conn, "OT-10007")
    assert created is not None
    assert (created.first_name, created.office, created.email) == ("Zoe", "MAR", "")
    assert "Adams, Zoe" in offline_sim.follow(answer).text


def test_patient_add_shows_errors_and_stores_nothing(offline_sim: SimBrowser, sim_db: Path) -> None:
    answer = offline_sim.post(
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


def test_names_are_escaped(offline_sim: SimBrowser) -> None:
    answer = offline_sim.post(
        "/patients/new",
        {"first_name": "<script>x()</script>", "last_name": 'O"Hara',
         "pms_status": "New Patient", "office": "ACW"},
    )  # fmt: skip
    page = offline_sim.follow(answer).text

    assert "<script>x()</script>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert Doc(page).inline_code() == []


def test_a_cross_site_post_is_refused(offline_sim: SimBrowser, sim_db: Path) -> None:
    answer = offline_sim.post(
        "/patients/new",
        {"first_name": "A", "last_name": "B", "pms_status": "New Patient", "office": "ACW"},
        origin="http://evil.example",
    )

    assert (answer.status, answer.text) == (403, "Cross-site form posts are refused.")
    with charts.connect(sim_db) as conn:
        assert len(charts.search(conn)) == len(DEMO_CHARTS)


def test_a_same_origin_post_is_accepted(offline_sim: SimBrowser) -> None:
    answer = offline_sim.post(
        "/patients/new",
        {"first_name": "A", "last_name": "B", "pms_status": "New Patient", "office": "ACW"},
        origin=offline_sim.base_url,
    )

    assert answer.status == 303


# -- Patient Chart ------------------------------------------------------------------------


def test_chart_has_both_menus_with_the_seeds_labels(sim: SimBrowser) -> None:
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
    asked = SyncEvent.objects.values_list("chart_id", "action", "outcome")
    assert list(asked) == [(NEW_CHART, "status", "reported")]
    assert not PmsLink.objects.exists()


def test_chart_tabs_sit_at_the_bottom_of_the_treatment_chart(offline_sim: SimBrowser) -> None:
    doc = Doc(offline_sim.get(f"/charts/{NEW_CHART}").text)

    labels = [text_of(doc.by_id(f"tab-{key}")) for key in ("treatment", "notes", "hub")]
    assert labels == ["Treatment Chart", "Notes/Comments", "Patient Rewards Hub"]
    assert doc.position("tab-panel") < doc.position("tab-treatment")
    assert doc.by_id("tab-treatment").attrs["aria-selected"] == "true"


def test_unknown_charts_and_pages_are_404(offline_sim: SimBrowser) -> None:
    assert offline_sim.get("/charts/OT-99999").status == 404
    assert offline_sim.get("/charts/OT-99999/set-card").status == 404
    assert offline_sim.post("/charts/OT-99999/launch", {}).status == 404
    assert offline_sim.get("/nowhere").status == 404
    assert offline_sim.get("/static/../app.py").status == 404


def test_wrong_methods_are_405(offline_sim: SimBrowser) -> None:
    answer = offline_sim.get(f"/charts/{NEW_CHART}/launch")

    assert (answer.status, answer.headers["Allow"]) == (405, "POST")


def test_the_chart_still_opens_when_the_hub_is_down(offline_sim: SimBrowser) -> None:
    page = offline_sim.get(f"/charts/{NEW_CHART}?tab=hub")
    doc = Doc(page.text)

    assert page.status == 200
    assert text_of(doc.by_id("hub-sync-badge")).startswith("Patient Rewards Hub: unavailable")
    assert "could not be reached" in text_of(doc.by_id("hub-tab-message"))


# -- Set Patient Rewards Hub Card # ------------------------------------------------------


def test_the_dialog_has_an_autofocused_card_field(offline_sim: SimBrowser) -> None:
    doc = Doc(offline_sim.get(f"/charts/{NEW_CHART}/set-card").text)

    card = doc.by_id("card")
    assert "autofocus" in card.attrs
    assert (card.attrs["name"], card.attrs["value"]) == ("card", "")
    assert "Card #" in [text_of(label) for label in doc.all("label")]
    assert text_of(doc.by_id("set-card-submit")) == "Set Card"
    assert text_of(doc.by_id("dialog-title")) == "Set Patient Rewards Hub Card #"


def test_a_swipe_creates_the_hub_profile_from_the_chart(
    hub: Hub, sim: SimBrowser, cards: list[str]
) -> None:
    nonce = dialog_nonce(sim, NEW_CHART)
    answer = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": swipe(cards[0]), "nonce": nonce})
    doc = Doc(sim.follow(answer).text)

    assert text_of(doc.by_id("set-card-result")) == (
        "Card number set A new hub profile was created for this patient "
        f"(username {cards[0]}). The Patient Rewards Hub opens in a new window. "
        "Open Patient Rewards Hub"
    )
    profile = Profile.objects.get(username=cards[0])
    assert PmsLink.objects.get(chart_id=NEW_CHART).profile == profile
    # Every demographic of the chart arrived.
    stored = {name: str(getattr(profile, name) or "") for name in PROFILE_FIELDS}
    assert stored == {name: LIAM[name] for name in PROFILE_FIELDS}
    assert profile.practice == hub.practice
    event = SyncEvent.objects.get(action="set_card")
    assert (event.chart_id, event.outcome, event.pms_user) == (NEW_CHART, "created", "FRONTDESK")
    # The dialog's nonce became the call's Idempotency-Key.
    assert IdempotencyRecord.objects.get().key == f"pms-sim-{nonce}"
    window = doc.by_id("hub-window")
    assert (window.attrs["target"], "data-auto-open" in window.attrs) == ("_blank", True)
    assert (window.attrs["href"] or "").startswith(f"{hub.url}/launch/")
    assert open_once(window.attrs["href"] or "") == "/synced/"
    assert doc.by_id("card").attrs["value"] == ""


def test_pasting_a_hub_username_links_the_existing_profile(
    hub: Hub, sim: SimBrowser, make_profile: Callable[..., Profile]
) -> None:
    # The seed's chart and the hub agree on her name and birth date.
    emma = make_profile(hub.practice, "Emma", "Johnson", birth_date=dt.date(2010, 5, 9))

    doc = set_card(sim, EMMA_CHART_ID, emma.username)

    assert "linked to the patient's hub profile" in text_of(doc.by_id("set-card-result"))
    assert PmsLink.objects.get(chart_id=EMMA_CHART_ID).profile == emma
    badge = Doc(sim.get(f"/charts/{EMMA_CHART_ID}").text).by_id("hub-sync-badge")
    assert text_of(badge) == f"Patient Rewards Hub: Synced ({emma.username})"


def test_pasting_another_patients_username_waits_for_confirmation_in_the_hub(
    hub: Hub, sim: SimBrowser, make_profile: Callable[..., Profile]
) -> None:
    other = make_profile(hub.practice, "Emma", "Johnson", birth_date=dt.date(2010, 9, 5))

    doc = set_card(sim, EMMA_CHART_ID, other.username)

    result = text_of(doc.by_id("set-card-result"))
    assert result.startswith("Waiting for confirmation in the hub")
    assert "its birth date differs from hub patient" in result
    window = doc.by_id("hub-window")
    assert "data-auto-open" in window.attrs
    assert open_once(window.attrs["href"] or "").startswith("/link-confirmations/")
    assert not PmsLink.objects.filter(chart_id=EMMA_CHART_ID).exists()
    chart = Doc(sim.get(f"/charts/{EMMA_CHART_ID}").text)
    badge = chart.by_id("hub-sync-badge")
    assert text_of(badge) == "Patient Rewards Hub: Waiting for confirmation in the hub"
    assert "waiting" in (badge.attrs["class"] or "")

    # Launch opens the confirmation window again, saying why.
    launched = Doc(sim.follow(sim.post(f"/charts/{EMMA_CHART_ID}/launch", {})).text)
    assert "confirm in the hub" in text_of(launched.by_id("hub-launch-message"))
    href = launched.by_id("hub-window").attrs["href"] or ""
    assert open_once(href).startswith("/link-confirmations/")


def _unknown(cards: list[str]) -> str:
    return "627799999999999" + luhn_check_digit("627799999999999")


@pytest.mark.parametrize(
    ("card", "code", "message"),
    [
        (lambda cards: "1234", "card_invalid",
         "A card number has 16 digits, but 4 were entered. Check the number and enter it again."),
        (lambda cards: "%E?", "card_read_error",
         "The card reader could not read the card. Swipe it again, or type the number."),
        (_unknown, "card_unknown",
         "No card with that number belongs to this practice. Check the number, "
         "or use a card from one of this practice's card batches."),
    ],
)  # fmt: skip
def test_a_refused_card_shows_the_hubs_message(
    sim: SimBrowser,
    cards: list[str],
    card: Callable[[list[str]], str],
    code: str,
    message: str,
) -> None:
    typed = card(cards)
    before = hub_state()

    doc = set_card(sim, NEW_CHART, typed)

    assert text_of(doc.by_id("set-card-error")) == message
    assert (last_failure().error, last_failure().message) == (code, message)
    assert not doc.has_id("hub-window")
    assert not doc.has_id("set-card-result")
    # The typed number stays, to be corrected.
    assert doc.by_id("card").attrs["value"] == typed
    assert hub_state() == before


def test_a_conflict_shows_the_hubs_message(
    client: HubClient, sim: SimBrowser, cards: list[str]
) -> None:
    link(client, NEW_CHART, cards[0])
    before = hub_state()

    doc = set_card(sim, NEW_CHART, swipe(cards[1]))

    assert text_of(doc.by_id("set-card-error")) == (
        f"This chart is already synced with another hub patient (username {cards[0]}). "
        "Launch Patient Rewards Hub opens that patient; if they need a new card, use Replace "
        "Card there. A chart can be synced with only one patient."
    )
    assert last_failure().error == "chart_linked_elsewhere"
    assert hub_state() == before


def test_an_empty_card_is_refused_without_asking_the_hub(sim: SimBrowser) -> None:
    doc = set_card(sim, NEW_CHART, "  ")

    assert text_of(doc.by_id("set-card-error")) == "Swipe the rewards card or type its number."
    assert not SyncEvent.objects.filter(action="set_card").exists()


def test_a_cross_site_set_card_never_reaches_the_hub(sim: SimBrowser, cards: list[str]) -> None:
    answer = sim.post(
        f"/charts/{NEW_CHART}/set-card", {"card": cards[0]}, origin="http://evil.example"
    )

    assert answer.status == 403
    assert not SyncEvent.objects.exists()
    assert not Profile.objects.exists()


def test_the_result_shows_once(sim: SimBrowser, cards: list[str]) -> None:
    nonce = dialog_nonce(sim, NEW_CHART)
    answer = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": cards[0], "nonce": nonce})

    assert Doc(sim.follow(answer).text).has_id("hub-window")
    assert not Doc(sim.follow(answer).text).has_id("hub-window")


def test_a_double_submit_replays_instead_of_syncing_twice(
    sim: SimBrowser, cards: list[str]
) -> None:
    nonce = dialog_nonce(sim, NEW_CHART)

    first = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": cards[0], "nonce": nonce})
    second = sim.post(f"/charts/{NEW_CHART}/set-card", {"card": cards[0], "nonce": nonce})

    urls = [Doc(sim.follow(a).text).by_id("hub-window").attrs["href"] for a in (first, second)]
    assert urls[0] == urls[1]
    outcomes = SyncEvent.objects.filter(action="set_card").order_by("id")
    assert list(outcomes.values_list("outcome", flat=True)) == ["created", "replayed"]
    assert Profile.objects.count() == 1


# -- Launch Patient Rewards Hub ----------------------------------------------------------


def test_launch_of_an_unsynced_patient_shows_the_hubs_message(sim: SimBrowser) -> None:
    answer = sim.post(f"/charts/{NEW_CHART}/launch", {"tab": "notes"})

    assert answer.location.startswith(f"/charts/{NEW_CHART}?tab=notes&result=")
    doc = Doc(sim.follow(answer).text)
    alert = doc.by_id("hub-alert")
    assert text_of(alert.children[0]) == "Patient Rewards Hub"
    assert text_of(alert.children[1]) == NOT_SYNCED
    assert not doc.has_id("hub-window")
    launch = SyncEvent.objects.get(action="launch")
    assert (launch.outcome, launch.error, launch.message) == ("error", "not_synced", NOT_SYNCED)
    assert not LaunchToken.objects.exists()


def test_launch_of_a_synced_patient_opens_the_profile(
    hub: Hub, client: HubClient, sim: SimBrowser, cards: list[str]
) -> None:
    profile_id = link(client, EMMA_CHART_ID, cards[0])

    doc = Doc(sim.follow(sim.post(f"/charts/{EMMA_CHART_ID}/launch", {})).text)

    window = doc.by_id("hub-window")
    assert window.attrs["target"] == "_blank"
    assert (window.attrs["href"] or "").startswith(f"{hub.url}/launch/")
    token = LaunchToken.objects.latest("id")
    assert (token.chart_id, token.view, token.pms_user) == (EMMA_CHART_ID, "profile", "FRONTDESK")
    assert open_once(window.attrs["href"] or "") == f"/patients/{profile_id}/"


# -- Patient Rewards Hub tab -------------------------------------------------------------


def test_the_hub_tab_frames_a_fresh_chart_view(
    hub: Hub, client: HubClient, sim: SimBrowser, cards: list[str]
) -> None:
    profile_id = link(client, EMMA_CHART_ID, cards[0])

    pages = [sim.get(f"/charts/{EMMA_CHART_ID}?tab=hub") for _ in range(2)]

    frames = [Doc(page.text).by_id("hub-frame") for page in pages]
    sources = [frame.attrs["src"] or "" for frame in frames]
    assert frames[0].attrs["title"] == "Patient Rewards Hub"
    assert sources[0] != sources[1]
    assert all(src.startswith(f"{hub.url}/launch/") for src in sources)
    views = LaunchToken.objects.filter(chart_id=EMMA_CHART_ID, view="chart", used_at=None)
    assert views.count() == 2
    assert f"frame-src {hub.url};" in pages[0].headers["Content-Security-Policy"]
    assert Doc(pages[0].text).by_id("tab-hub").attrs["aria-selected"] == "true"
    assert open_once(sources[1]) == f"/chart/{profile_id}/"


def test_the_hub_tab_of_an_unsynced_patient_says_why(sim: SimBrowser) -> None:
    page = sim.get(f"/charts/{NEW_CHART}?tab=hub")
    doc = Doc(page.text)

    assert text_of(doc.by_id("hub-tab-message")) == NOT_SYNCED
    assert not doc.has_id("hub-frame")
    assert "frame-src 'none'" in page.headers["Content-Security-Policy"]


# -- safety -------------------------------------------------------------------------------


def test_no_page_has_inline_code_and_all_send_a_strict_csp(
    client: HubClient, sim: SimBrowser, cards: list[str]
) -> None:
    link(client, EMMA_CHART_ID, cards[0])
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
        sim.follow(sim.post(f"/charts/{NEW_CHART}/set-card", {"card": cards[1]})),
        sim.get("/charts/nope"),
    ]

    for page in pages:
        assert Doc(page.text).inline_code() == []
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_served(offline_sim: SimBrowser) -> None:
    js = offline_sim.get("/static/sim.js")
    css = offline_sim.get("/static/sim.css")

    assert (js.status, js.headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")
    assert "window.open" in js.text
    assert (css.status, css.headers["Content-Type"]) == (200, "text/css; charset=utf-8")


def test_healthz_answers_ok(offline_sim: SimBrowser) -> None:
    answer = offline_sim.get("/healthz")

    assert (answer.status, answer.text) == (200, "ok")
