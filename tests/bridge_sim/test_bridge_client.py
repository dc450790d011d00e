"""HubClient against the fake hub: paths, bodies, headers and errors of the contract."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from rewardshub_bridge.client import USER_AGENT, HubClient, HubError

from .fake_hub import API_KEY, EMMA_USERNAME, NOT_SYNCED, FakeHub

CARD = "6277123412341234"


def test_it_creates_a_profile_from_a_new_card(hub: FakeHub, client: HubClient) -> None:
    answer = client.set_card(
        "orthotrac",
        "OT-1",
        f";{CARD}=2812?",
        {"first_name": "Liam", "last_name": "Carter", "office": "ACW", "email": None},
        pms_user="FRONTDESK",
    )

    assert answer["outcome"] == "created"
    assert answer["username"] == CARD
    assert answer["browser_url"].startswith(f"{hub.url}/launch/")
    sent = hub.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/api/v1/pms/orthotrac/patients/OT-1/card")
    # The raw swipe goes as-is (parsing is the hub's job); None fields are left out.
    assert sent.body == {
        "first_name": "Liam",
        "last_name": "Carter",
        "office": "ACW",
        "card": f";{CARD}=2812?",
        "pms_user": "FRONTDESK",
    }


def test_it_sends_the_key_json_and_user_agent(hub: FakeHub, client: HubClient) -> None:
    client.status("orthotrac", "OT-1")

    headers = hub.requests[-1].headers
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == USER_AGENT


def test_it_sends_the_idempotency_key_and_a_retry_replays(hub: FakeHub, client: HubClient) -> None:
    demographics = {"first_name": "Liam", "last_name": "Carter"}
    first = client.set_card("orthotrac", "OT-1", CARD, demographics, idempotency_key="k-1")
    again = client.set_card("orthotrac", "OT-1", CARD, demographics, idempotency_key="k-1")

    assert hub.requests[-1].headers["idempotency-key"] == "k-1"
    assert again == first


def test_it_links_an_existing_hub_profile_by_username(client: HubClient) -> None:
    answer = client.set_card("orthotrac", "OT-10004", EMMA_USERNAME, {})

    assert (answer["outcome"], answer["username"]) == ("linked", EMMA_USERNAME)


def test_it_quotes_chart_ids_so_they_stay_one_path_segment(hub: FakeHub, client: HubClient) -> None:
    assert client.status("orthotrac", "A B/../x?y") == {"linked": False}

    assert hub.requests[-1].path == "/api/v1/pms/orthotrac/patients/A%20B%2F..%2Fx%3Fy"


def test_it_raises_the_hubs_error_code_and_message(client: HubClient) -> None:
    with pytest.raises(HubError) as caught:
        client.launch("orthotrac", "OT-9")

    assert (caught.value.status, caught.value.code) == (404, "not_synced")
    assert caught.value.message == NOT_SYNCED
    assert str(caught.value) == NOT_SYNCED


def test_it_raises_conflicts(client: HubClient) -> None:
    client.set_card("orthotrac", "OT-1", CARD, {"first_name": "A", "last_name": "B"})

    with pytest.raises(HubError) as caught:
        client.set_card("orthotrac", "OT-2", CARD, {"first_name": "A", "last_name": "B"})

    assert (caught.value.status, caught.value.code) == (409, "profile_linked_elsewhere")


def test_it_raises_401_for_a_wrong_key(hub: FakeHub) -> None:
    with pytest.raises(HubError) as caught:
        HubClient(hub.url, "wrong").status("orthotrac", "OT-1")

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")


def test_it_explains_an_error_answer_that_is_not_json(hub: FakeHub, client: HubClient) -> None:
    hub.state.next_raw = (502, "text/html", b"<html>Bad Gateway</html>")

    with pytest.raises(HubError) as caught:
        client.status("orthotrac", "OT-1")

    assert (caught.value.status, caught.value.code) == (502, "hub_error")
    assert caught.value.message == "The hub answered HTTP 502 without an explanation."


def test_it_refuses_a_success_that_is_not_json(hub: FakeHub, client: HubClient) -> None:
    hub.state.next_raw = (200, "text/html", b"<html>Some other site</html>")

    with pytest.raises(HubError) as caught:
        client.status("orthotrac", "OT-1")

    assert caught.value.code == "bad_response"
    assert "Check the hub URL in the bridge config" in caught.value.message


def test_it_reports_an_unreachable_hub(dead_url: str) -> None:
    with pytest.raises(HubError) as caught:
        HubClient(dead_url, API_KEY, timeout=2).status("orthotrac", "OT-1")

    assert caught.value.status is None
    assert caught.value.code == "hub_unreachable"
    assert caught.value.message.startswith(f"The hub at {dead_url} could not be reached")
    assert "Check the hub URL in the bridge config" in caught.value.message


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
        HubClient(silent_server, API_KEY, timeout=0.3).status("orthotrac", "OT-1")

    assert caught.value.code == "hub_unreachable"
    assert "did not answer within 0.3 seconds" in caught.value.message


def test_it_launches_the_chart_view(hub: FakeHub, client: HubClient) -> None:
    client.set_card("orthotrac", "OT-1", CARD, {"first_name": "A", "last_name": "B"})

    answer = client.launch("orthotrac", "OT-1", view="chart", pms_user="FRONTDESK")

    assert answer["expires_in"] == 60
    assert hub.requests[-1].body == {"view": "chart", "pms_user": "FRONTDESK"}


def test_it_refuses_an_unknown_view(client: HubClient) -> None:
    with pytest.raises(ValueError, match="view must be one of profile, chart"):
        client.launch("orthotrac", "OT-1", view="settings")


def test_it_updates_demographics_with_put(hub: FakeHub, client: HubClient) -> None:
    client.set_card("orthotrac", "OT-1", CARD, {"first_name": "A", "last_name": "B"})

    answer = client.update("orthotrac", "OT-1", {"email": "a@example.com"})

    assert (answer["outcome"], answer["changed"]) == ("updated", ["email"])
    assert (hub.requests[-1].method, hub.requests[-1].path) == (
        "PUT",
        "/api/v1/pms/orthotrac/patients/OT-1",
    )


def test_it_sends_a_batch(hub: FakeHub, client: HubClient) -> None:
    answer = client.batch("orthotrac", [{"chart_id": "OT-1", "first_name": "A", "last_name": "B"}])

    assert answer["results"][0]["outcome"] == "created"
    assert hub.requests[-1].path == "/api/v1/pms/orthotrac/patients:batch"
    assert hub.requests[-1].body == {
        "patients": [{"chart_id": "OT-1", "first_name": "A", "last_name": "B"}]
    }


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "file:///etc/passwd"])
def test_it_refuses_a_base_url_that_is_not_http(url: str) -> None:
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        HubClient(url, API_KEY)


def test_it_strips_a_trailing_slash_from_the_base_url(hub: FakeHub) -> None:
    HubClient(hub.url + "/", API_KEY).status("orthotrac", "OT-1")

    assert hub.requests[-1].path == "/api/v1/pms/orthotrac/patients/OT-1"
