"""Fixtures for the bridge and simulator tests.

Everything that talks to a hub talks to the real one: pytest-django's
`live_server` (real HTTP, the test database), with a real integration key of
the Acworth practice and real issued cards. Tests that need no hub (config,
arguments, info files, the sim's own table) use none of these fixtures and
touch no database.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from pms_sim import seed
from pms_sim.app import make_app
from pms_sim.server import running
from rewardshub.audit.actors import Actor
from rewardshub.cards.models import Card
from rewardshub.integrations.actions import create_key
from rewardshub.integrations.models import LaunchToken, PmsLink, SyncEvent
from rewardshub.patients.models import Profile
from rewardshub.practices.models import IntegrationKey, Practice
from rewardshub_bridge.client import HubClient

SRC = Path(__file__).resolve().parents[2] / "src"
SYSTEM = Actor.system("tests")
# Generous: a loaded test machine (xdist workers, browsers) can be slow to answer,
# and a timed-out call would leave the live hub working while the test tears down.
HUB_TIMEOUT = 30


@pytest.fixture(autouse=True)
def _bridge_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No browser from any bridge run (subprocesses inherit this), and no stray config."""
    monkeypatch.setenv("REWARDSHUB_BRIDGE_NO_BROWSER", "1")
    monkeypatch.delenv("REWARDSHUB_BRIDGE_CONFIG", raising=False)
    monkeypatch.delenv("BROWSER", raising=False)


@pytest.fixture
def dead_url() -> str:
    """The URL of a closed port: nothing listens there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    def write(text: str) -> Path:
        path = tmp_path / "bridge.ini"
        path.write_text(text, encoding="utf-8")
        return path

    return write


# -- the real hub ----------------------------------------------------------------


@dataclass(frozen=True)
class Hub:
    """The live hub as a PMS sees it: its address and one practice's key."""

    url: str
    practice: Practice
    key: IntegrationKey
    token: str


@pytest.fixture
def hub(live_server: Any, acworth: Practice) -> Hub:
    created = create_key(practice=acworth, name="Orthotrac", system="orthotrac", actor=SYSTEM)
    return Hub(url=live_server.url, practice=acworth, key=created.key, token=created.token)


@pytest.fixture
def cards(hub: Hub, issue_cards: Callable[[Practice, int], list[str]]) -> list[str]:
    """Six new cards from an Acworth batch."""
    return issue_cards(hub.practice, 6)


@pytest.fixture
def client(hub: Hub) -> HubClient:
    return HubClient(hub.url, hub.token, timeout=HUB_TIMEOUT)


@pytest.fixture
def config_file(write_config: WriteConfig, hub: Hub) -> Path:
    return write_config(
        f"[hub]\nurl = {hub.url}\napi_key = {hub.token}\nsystem = orthotrac\n"
        f"timeout = {HUB_TIMEOUT}\n"
    )


def hub_state() -> tuple[Any, ...]:
    """What a refused call must leave as it was."""
    return (
        list(Profile.objects.order_by("pk").values_list("pk", "username", "first_name", "kind")),
        list(PmsLink.objects.order_by("pk").values_list("chart_id", "profile_id")),
        list(Card.objects.order_by("pk").values_list("number", "state", "profile_id")),
        LaunchToken.objects.count(),
    )


def last_failure() -> SyncEvent:
    """The Sync log's newest entry, which must be the refusal just made."""
    event = SyncEvent.objects.latest("id")
    assert event.outcome == "error", event.message
    return event


def open_once(url: str) -> str:
    """Open a hub one-time URL as a browser would; where the hub redirects it."""

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    try:
        urllib.request.build_opener(Stop).open(url, timeout=10)  # noqa: S310 (the live hub)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.code
        return str(answer.headers["Location"])
    raise AssertionError(f"{url} did not redirect")


# -- the simulator ---------------------------------------------------------------


@dataclass
class Page:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class SimBrowser:
    """Drives the running sim over HTTP without following redirects."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "", parts.port or 80

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> Page:
        # Longer than the hub's: a sim page may wait on two hub calls.
        conn = http.client.HTTPConnection(self.host, self.port, timeout=3 * HUB_TIMEOUT)
        try:
            conn.request(method, path, body=body.encode() or None, headers=headers or {})
            response = conn.getresponse()
            return Page(response.status, response.headers, response.read().decode("utf-8"))
        finally:
            conn.close()

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str], origin: str | None = None) -> Page:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin is not None:
            headers["Origin"] = origin
        return self.request("POST", path, urlencode(data), headers)

    def follow(self, page: Page) -> Page:
        assert page.status == 303, page.text
        return self.get(page.location)


@pytest.fixture
def sim_db(tmp_path: Path) -> Path:
    path = tmp_path / "var" / "pms_sim.sqlite3"
    seed.seed(path)
    return path


@pytest.fixture
def sim(client: HubClient, sim_db: Path) -> Iterator[SimBrowser]:
    """The simulator, talking to the live hub with Acworth's key."""
    with running(make_app(sim_db, client)) as url:
        yield SimBrowser(url)


@pytest.fixture
def offline_sim(sim_db: Path, dead_url: str) -> Iterator[SimBrowser]:
    """The simulator with no hub to talk to: for its own screens, and for a hub that is down."""
    with running(make_app(sim_db, HubClient(dead_url, "rh_00000000_none", timeout=2))) as url:
        yield SimBrowser(url)
