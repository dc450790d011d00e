"""HubClient against the live hub: every call of the contract, its errors, and a hub
that is wrong, down or silent."""

from __future__ import annotations

import datetime as dt
import socket
import zoneinfo
from collections.abc import Callable, Iterator

import pytest
from django.utils import formats, timezone

from rewardshub.cards.actions import replace_card
from rewardshub.cards.numbers import luhn_check_digit
from rewardshub.integrations.actions import revoke_key
from rewardshub.integrations.models import IdempotencyRecord, LaunchToken, PmsLink, SyncEvent
from rewardshub.integrations.systems import not_synced_message
from rewardshub.patients.models import Profile
from rewardshub.practices.models import IntegrationKey
from rewardshub_bridge.client import HubClient, HubError, _decode_success

from .conftest import HUB_TIMEOUT, SYSTEM, Hub, SimBrowser, hub_state, last_failure, open_once

CHART = "OT-10001"
LIAM = {"first_name": "Liam", "last_name": "Carter", "birth_date": "2011-03-14"}
EMMA = {"first_name": "Emma", "last_name": "Johnson", "birth_date": "2010-05-09"}


# -- set card -----------------------------------------------------------------


def test_it_creates_a_profile_from_a_new_cards_swipe(
    hub: Hub, client: HubClient, cards: list[str]
) -> None:
    answer = client.set_card(
        "orthotrac",
        CHART,
        f";{cards[0]}=9912?",
        {**LIAM, "phone_mobile": "770-555-0101", "email": None},
        pms_user="FRONTDESK",
    )

    profile = Profile.objects.get(username=cards[0])
    assert (answer["outcome"], answer["username"]) == ("created", cards[0])
    assert answer["profile_id"] == str(profile.public_id)
    assert answer["browser_url"].startswith(f"{hub.url}/launch/")
    assert (profile.practice, profile.first_name, profile.last_name) == (
        hub.practice,
        "Liam",
        "Carter",
    )
    assert (str(profile.birth_date), profile.phone_mobile) == ("2011-03-14", "770-555-0101")
    assert PmsLink.objects.get(chart_id=CHART).profile == profile
    event = SyncEvent.objects.get(action="set_card")
    assert (event.outcome, event.pms_user) == ("created", "FRONTDESK")
    # The one-time URL opens the hub's "synced" notice.
    assert open_once(answer["browser_url"]) == "/synced/"


def test_it_links_an_existing_profile_by_its_username(
    hub: Hub, client: HubClient, make_profile: Callable[..., Profile]
) -> None:
    emma = make_profile(hub.practice, "Emma", "Johnson", birth_date=dt.date(2010, 5, 9))

    answer = client.set_card("orthotrac", "OT-10004", emma.username, EMMA)

    assert (answer["outcome"], answer["username"]) == ("linked", emma.username)
    assert answer["profile_id"] == str(emma.public_id)
    assert PmsLink.objects.get(chart_id="OT-10004").profile == emma


def test_it_returns_a_held_link_as_an_answer_not_an_error(
    hub: Hub, client: HubClient, make_profile: Callable[..., Profile]
) -> None:
    emma = make_profile(hub.practice, "Emma", "Johnson")  # no birth date in the hub

    answer = client.set_card("orthotrac", "OT-10004", emma.username, EMMA)

    assert (answer["outcome"], answer["differences"]) == ("needs_confirmation", ["birth_date"])
    assert open_once(str(answer["browser_url"])).startswith("/link-confirmations/")
    assert client.status("orthotrac", "OT-10004")["state"] == "needs_confirmation"
    assert not PmsLink.objects.filter(chart_id="OT-10004").exists()


def test_it_answers_already_linked_for_the_same_chart_and_card(
    client: HubClient, cards: list[str]
) -> None:
    first = client.set_card("orthotrac", CHART, cards[0], LIAM)
    before = hub_state()[:3]

    again = client.set_card("orthotrac", CHART, cards[0], LIAM)

    assert (again["outcome"], again["username"], again["profile_id"]) == (
        "already_linked",
        cards[0],
        first["profile_id"],
    )
    assert again["browser_url"] != first["browser_url"]
    assert hub_state()[:3] == before


def test_it_sends_the_idempotency_key_so_a_retry_replays(
    hub: Hub, client: HubClient, cards: list[str]
) -> None:
    first = client.set_card("orthotrac", CHART, cards[0], LIAM, idempotency_key="retry-1")
    again = client.set_card("orthotrac", CHART, cards[0], LIAM, idempotency_key="retry-1")

    # Not "already_linked" with a fresh URL: the first answer, replayed.
    assert again == first
    assert IdempotencyRecord.objects.get(practice=hub.practice).key == "retry-1"
    assert SyncEvent.objects.filter(action="set_card").latest("id").outcome == "replayed"


def test_it_carries_a_reused_idempotency_key_as_a_hub_error(
    client: HubClient, cards: list[str]
) -> None:
    client.set_card("orthotrac", CHART, cards[0], LIAM, idempotency_key="retry-1")

    with pytest.raises(HubError) as caught:
        client.set_card("orthotrac", CHART, cards[1], LIAM, idempotency_key="retry-1")

    assert (caught.value.status, caught.value.code) == (409, "idempotency_key_reused")


def test_it_carries_a_conflict_as_a_hub_error_and_changes_nothing(
    client: HubClient, cards: list[str]
) -> None:
    client.set_card("orthotrac", "OT-10002", cards[0], LIAM)
    before = hub_state()

    with pytest.raises(HubError) as caught:
        client.set_card("orthotrac", CHART, cards[0], LIAM)

    assert (caught.value.status, caught.value.code) == (409, "profile_linked_elsewhere")
    assert caught.value.message == (
        "This hub patient is already synced with Orthotrac chart OT-10002. Check that you "
        "opened the right chart: a hub patient can be synced with only one chart."
    )
    assert str(caught.value) == caught.value.message
    assert hub_state() == before
    assert last_failure().error == "profile_linked_elsewhere"


def test_it_carries_a_card_error_as_a_hub_error_and_changes_nothing(
    client: HubClient, cards: list[str]
) -> None:
    body = "627799999999999"
    before = hub_state()

    with pytest.raises(HubError) as caught:
        client.set_card("orthotrac", CHART, body + luhn_check_digit(body), LIAM)

    assert (caught.value.status, caught.value.code) == (422, "card_unknown")
    assert caught.value.message == (
        "No card with that number belongs to this practice. Check the number, "
        "or use a card from one of this practice's card batches."
    )
    assert hub_state() == before


def test_it_carries_a_retired_card_as_a_hub_error(
    hub: Hub, client: HubClient, cards: list[str], make_profile: Callable[..., Profile]
) -> None:
    liam = make_profile(hub.practice, "Liam", "Brown", card=cards[0])
    replace_card(practice=hub.practice, profile=liam, raw=cards[1], actor=SYSTEM)
    replace_card(practice=hub.practice, profile=liam, raw=cards[2], actor=SYSTEM)

    with pytest.raises(HubError) as caught:
        client.set_card("orthotrac", CHART, cards[1], LIAM)  # retired, never a username

    assert (caught.value.status, caught.value.code) == (409, "card_retired")
    assert caught.value.message.startswith("This card was replaced on ")
    assert caught.value.message == last_failure().message


# -- update, launch, status, batch ----------------------------------------------------


def test_it_updates_demographics_with_put(client: HubClient, cards: list[str]) -> None:
    client.set_card("orthotrac", CHART, cards[0], LIAM)

    answer = client.update("orthotrac", CHART, {"email": "carter@example.com", "phone_home": None})

    assert (answer["outcome"], answer["changed"]) == ("updated", ["email"])
    assert Profile.objects.get(username=cards[0]).email == "carter@example.com"


def test_it_carries_not_synced_from_an_update(client: HubClient) -> None:
    with pytest.raises(HubError) as caught:
        client.update("orthotrac", CHART, {"email": "carter@example.com"})

    assert (caught.value.status, caught.value.code) == (404, "not_synced")


def test_it_launches_the_profile(hub: Hub, client: HubClient, cards: list[str]) -> None:
    created = client.set_card("orthotrac", CHART, cards[0], LIAM)

    answer = client.launch("orthotrac", CHART, pms_user="FRONTDESK")

    assert answer["expires_in"] == 60
    token = LaunchToken.objects.latest("id")
    assert (token.chart_id, token.view, token.pms_user) == (CHART, "profile", "FRONTDESK")
    assert open_once(answer["url"]) == f"/patients/{created['profile_id']}/"


def test_it_launches_the_chart_view(hub: Hub, client: HubClient, cards: list[str]) -> None:
    created = client.set_card("orthotrac", CHART, cards[0], LIAM)

    answer = client.launch("orthotrac", CHART, view="chart")

    assert answer["url"].startswith(f"{hub.url}/launch/")
    assert LaunchToken.objects.latest("id").view == "chart"
    assert open_once(answer["url"]) == f"/chart/{created['profile_id']}/"


def test_it_carries_not_synced_with_the_hubs_message(client: HubClient) -> None:
    with pytest.raises(HubError) as caught:
        client.launch("orthotrac", CHART)

    assert (caught.value.status, caught.value.code) == (404, "not_synced")
    assert caught.value.message == not_synced_message("orthotrac")
    assert not LaunchToken.objects.exists()


def test_it_reads_the_status(client: HubClient, cards: list[str]) -> None:
    assert client.status("orthotrac", CHART) == {"linked": False}
    created = client.set_card("orthotrac", CHART, cards[0], LIAM)

    status = client.status("orthotrac", CHART)

    assert status["linked"] is True
    assert (status["username"], status["profile_id"]) == (cards[0], created["profile_id"])
    assert (status["card_state"], status["tags"], status["points"]) == ("none", [], 0)


def test_it_quotes_chart_ids_so_they_stay_one_path_segment(client: HubClient) -> None:
    # Unquoted, the "?" would start a query and ask about chart "OT-1".
    with pytest.raises(HubError) as caught:
        client.status("orthotrac", "OT-1?view=chart")

    assert (caught.value.status, caught.value.code) == (422, "validation_error")
    assert caught.value.message.startswith("chart_id must be")


def test_it_sends_a_batch(hub: Hub, client: HubClient) -> None:
    answer = client.batch(
        "orthotrac",
        [
            {"chart_id": "OT-1", **LIAM, "email": None},
            {"chart_id": "OT-2", "first_name": "Ava"},
        ],
    )

    first, second = answer["results"]
    assert (first["chart_id"], first["outcome"]) == ("OT-1", "created")
    assert first["username"].startswith("0000")
    assert PmsLink.objects.get(chart_id="OT-1").profile.username == first["username"]
    assert (second["chart_id"], second["outcome"]) == ("OT-2", "error")
    assert not PmsLink.objects.filter(chart_id="OT-2").exists()


# -- keys -------------------------------------------------------------------------------


def test_it_carries_401_for_an_unknown_key(hub: Hub) -> None:
    with pytest.raises(HubError) as caught:
        HubClient(hub.url, "rh_00000000_not-a-key", HUB_TIMEOUT).status("orthotrac", CHART)

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert caught.value.message.startswith("This integration key is not valid.")


def test_it_carries_401_for_a_revoked_key(hub: Hub, client: HubClient) -> None:
    revoke_key(practice=hub.practice, key=hub.key, actor=SYSTEM)

    with pytest.raises(HubError) as caught:
        client.status("orthotrac", CHART)

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    revoked_at = IntegrationKey.objects.get(pk=hub.key.pk).revoked_at
    zone = zoneinfo.ZoneInfo(hub.practice.time_zone)
    on = formats.date_format(timezone.localtime(revoked_at, zone), "N j, Y")
    assert caught.value.message == (
        f"This integration key was revoked on {on}. "
        "Create a new key in Settings > Integration keys and update the PMS bridge."
    )
    assert not SyncEvent.objects.exists()


def test_it_marks_the_key_used(hub: Hub, client: HubClient) -> None:
    client.status("orthotrac", CHART)

    assert IntegrationKey.objects.get(pk=hub.key.pk).last_used_at is not None


def test_it_strips_a_trailing_slash_from_the_base_url(hub: Hub) -> None:
    assert HubClient(hub.url + "/", hub.token, HUB_TIMEOUT).status("orthotrac", CHART) == {
        "linked": False
    }


# -- a hub that is wrong, down or silent -----------------------------------------------


def test_it_explains_an_answer_from_a_server_that_is_not_the_hub(
    offline_sim: SimBrowser,
) -> None:
    # The classic mistake: the bridge config names the PMS's port, not the hub's.
    with pytest.raises(HubError) as caught:
        HubClient(offline_sim.base_url, "rh_00000000_any").status("orthotrac", CHART)

    assert (caught.value.status, caught.value.code) == (404, "hub_error")
    assert caught.value.message == "The hub answered HTTP 404 without an explanation."


@pytest.mark.parametrize("raw", [b"<html>Some other site</html>", b"[1, 2]", b"\xff"])
def test_it_refuses_a_success_that_is_not_a_json_object(raw: bytes) -> None:
    with pytest.raises(HubError) as caught:
        _decode_success(200, raw)

    assert caught.value.code == "bad_response"
    assert "Check the hub URL in the bridge config" in caught.value.message


def test_it_reports_an_unreachable_hub(dead_url: str) -> None:
    with pytest.raises(HubError) as caught:
        HubClient(dead_url, "rh_00000000_any", timeout=2).status("orthotrac", CHART)

    assert (caught.value.status, caught.value.code) == (None, "hub_unreachable")
    assert caught.value.message.startswith(f"The hub at {dead_url} could not be reached")
    assert caught.value.message.endswith(
        "Check the hub URL in the bridge config and that the hub is running."
    )


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    with sock:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_it_reports_a_hub_that_does_not_answer_in_time(silent_server: str) -> None:
    with pytest.raises(HubError) as caught:
        HubClient(silent_server, "rh_00000000_any", timeout=0.3).status("orthotrac", CHART)

    assert caught.value.code == "hub_unreachable"
    assert "did not answer within 0.3 seconds" in caught.value.message


# -- checks made before any call ---------------------------------------------------------


def test_it_refuses_an_unknown_view() -> None:
    with pytest.raises(ValueError, match="view must be one of profile, chart"):
        HubClient("http://127.0.0.1:9", "k").launch("orthotrac", CHART, view="settings")


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "file:///etc/passwd"])
def test_it_refuses_a_base_url_that_is_not_http(url: str) -> None:
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        HubClient(url, "k")
