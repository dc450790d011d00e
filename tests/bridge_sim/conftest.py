"""Fixtures for the bridge and simulator tests: a fake hub, a config file and a
running simulator. Nothing here needs Django, a database server or a browser.
"""

from __future__ import annotations

import http.client
import importlib.util
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

# Importable without an install too (e.g. a bare checkout).
_SRC = Path(__file__).resolve().parents[2] / "src"
if importlib.util.find_spec("rewardshub_bridge") is None:
    sys.path.insert(0, str(_SRC))

from pms_sim import seed  # noqa: E402
from pms_sim.app import make_app  # noqa: E402
from pms_sim.server import running  # noqa: E402
from rewardshub_bridge.client import HubClient  # noqa: E402

from .fake_hub import API_KEY, FakeHub  # noqa: E402

SRC = _SRC


@pytest.fixture(autouse=True)
def _no_real_browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Never open a browser from a test; record what would have been opened."""
    opened: list[str] = []

    def fake_open(url: str, new: int = 0, autoraise: bool = True) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr("webbrowser.open", fake_open)
    monkeypatch.delenv("REWARDSHUB_BRIDGE_NO_BROWSER", raising=False)
    monkeypatch.delenv("REWARDSHUB_BRIDGE_CONFIG", raising=False)
    return opened


@pytest.fixture
def opened(_no_real_browser: list[str]) -> list[str]:
    return _no_real_browser


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        yield fake


@pytest.fixture
def client(hub: FakeHub) -> HubClient:
    return HubClient(hub.url, API_KEY, timeout=5)


@pytest.fixture
def dead_url() -> str:
    """The URL of a port nothing listens on."""
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


@pytest.fixture
def config_file(write_config: WriteConfig, hub: FakeHub) -> Path:
    return write_config(f"[hub]\nurl = {hub.url}\napi_key = {API_KEY}\nsystem = orthotrac\n")


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
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
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
def sim(hub: FakeHub, client: HubClient, sim_db: Path) -> Iterator[SimBrowser]:
    with running(make_app(sim_db, client)) as url:
        yield SimBrowser(url)
