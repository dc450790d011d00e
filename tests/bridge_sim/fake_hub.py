"""A tiny in-memory hub that speaks docs/integration-api.md, for the bridge and
sim unit tests only. The real hub is exercised by the end-to-end tests.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

API_KEY = "test-key-1234"
SYSTEM = "orthotrac"
# The hub demo's existing profile (workflow 2 of the seed: in the hub, not synced).
EMMA_USERNAME = "6277000000000017"
RETIRED_CARD = "6277000000000025"
NOT_SYNCED = (
    "This patient has not synced with the hub yet. In Orthotrac, use Functions > Patient "
    "Rewards Hub > Set Patient Rewards Hub Card # with the patient's card, then launch again."
)
_PATIENT = re.compile(r"/api/v1/pms/([^/]+)/patients/([^/]+?)(/card|/launch)?")
_BATCH = re.compile(r"/api/v1/pms/([^/]+)/patients:batch")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    payload: Any


@dataclass
class FakeHubState:
    base_url: str = ""
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # username -> data
    links: dict[str, str] = field(default_factory=dict)  # chart id -> username
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (chart, view)
    idempotent: dict[str, tuple[Any, Answer]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    # Set to (status, content type, body) to make the next API call answer that.
    next_raw: tuple[int, str, bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.profiles[EMMA_USERNAME] = {"first_name": "Emma", "last_name": "Johnson"}

    def api(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        self.requests.append(Recorded(method, path, headers, body))
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return _error(
                401, "unauthorized", "The integration key is missing, unknown or revoked."
            )
        key = headers.get("idempotency-key")
        if key and method in ("POST", "PUT") and key in self.idempotent:
            first_body, first_answer = self.idempotent[key]
            if first_body != body:
                return _error(422, "idempotency_mismatch", "Idempotency-Key reused.")
            return first_answer
        answer = self._route(method, path, body)
        if key and method in ("POST", "PUT"):
            self.idempotent[key] = (body, answer)
        return answer

    def _route(self, method: str, path: str, body: Any) -> Answer:
        batch = _BATCH.fullmatch(path)
        match = _PATIENT.fullmatch(path)
        route = batch or match
        if route is None:
            return _error(404, "not_found", "No such API route.")
        if unquote(route.group(1)) != SYSTEM:
            return _error(404, "unknown_system", "This key is not for that PMS system.")
        if batch and method == "POST":
            return self._batch(body)
        if match is None:
            return _error(405, "method_not_allowed", "Method not allowed.")
        chart_id, action = unquote(match.group(2)), match.group(3)
        if action == "/card" and method == "POST":
            return self._set_card(chart_id, body)
        if action == "/launch" and method == "POST":
            return self._launch(chart_id, body)
        if action is None and method == "GET":
            return self._status(chart_id)
        if action is None and method == "PUT":
            return self._update(chart_id, body)
        return _error(405, "method_not_allowed", "Method not allowed.")

    def _set_card(self, chart_id: str, body: dict[str, Any]) -> Answer:
        raw = str(body.get("card", "")).strip()
        if raw == "E":
            return _error(422, "card_read_error", "The card could not be read. Swipe it again.")
        found = re.match(r"[;%]B?(\d+)[=^]", raw)
        number = found.group(1) if found else re.sub(r"[\s-]", "", raw)
        if not re.fullmatch(r"\d{16}", number):
            return _error(422, "card_invalid", "A card number has 16 digits.")
        if number == RETIRED_CARD:
            return _error(409, "card_retired", "This card was retired and can't be used again.")
        linked = self.links.get(chart_id)
        if linked is not None and linked != number:
            return _error(409, "chart_linked_elsewhere", "This chart is linked to another profile.")
        if linked is None and number in self.links.values():
            return _error(
                409, "profile_linked_elsewhere", "That profile is linked to another chart."
            )
        if linked == number:
            outcome = "already_linked"
        elif number in self.profiles:
            outcome = "linked"
        else:
            if not body.get("first_name") or not body.get("last_name"):
                return _error(422, "validation_error", "first_name and last_name are required.")
            outcome = "created"
        profile = self.profiles.setdefault(number, {})
        profile.update({k: v for k, v in body.items() if k not in ("card", "pms_user")})
        self.links[chart_id] = number
        return Answer(
            200,
            {
                "outcome": outcome,
                "username": number,
                "profile_id": f"uuid-{number}",
                "browser_url": self._token_url(chart_id, "synced"),
            },
        )

    def _launch(self, chart_id: str, body: dict[str, Any]) -> Answer:
        if chart_id not in self.links:
            return _error(404, "not_synced", NOT_SYNCED)
        view = body.get("view", "profile")
        if view not in ("profile", "chart"):
            return _error(422, "validation_error", "view must be profile or chart.")
        return Answer(200, {"url": self._token_url(chart_id, view), "expires_in": 60})

    def _status(self, chart_id: str) -> Answer:
        username = self.links.get(chart_id)
        if username is None:
            return Answer(200, {"linked": False})
        return Answer(
            200,
            {
                "linked": True,
                "username": username,
                "profile_id": f"uuid-{username}",
                "card_state": "active",
                "tags": [],
                "points": 0,
                "last_sync": "2025-01-01T00:00:00Z",
            },
        )

    def _update(self, chart_id: str, body: dict[str, Any]) -> Answer:
        username = self.links.get(chart_id)
        if username is None:
            return _error(404, "not_synced", NOT_SYNCED)
        profile = self.profiles[username]
        changed = sorted(k for k, v in body.items() if profile.get(k) != v)
        profile.update(body)
        return Answer(
            200,
            {
                "outcome": "updated" if changed else "unchanged",
                "username": username,
                "profile_id": f"uuid-{username}",
                "changed": changed,
            },
        )

    def _batch(self, body: dict[str, Any]) -> Answer:
        results = []
        for patient in body.get("patients", []):
            chart_id = patient.get("chart_id", "")
            data = {k: v for k, v in patient.items() if k != "chart_id"}
            if chart_id in self.links:
                answer = self._update(chart_id, data).payload
                results.append({"chart_id": chart_id, **answer})
            else:
                username = f"lead-{chart_id}"
                self.profiles[username] = data
                self.links[chart_id] = username
                results.append({"chart_id": chart_id, "outcome": "created", "username": username})
        return Answer(200, {"results": results})

    def _token_url(self, chart_id: str, view: str) -> str:
        token = secrets.token_urlsafe(16)
        self.tokens[token] = (chart_id, view)
        return f"{self.base_url}/launch/{token}"


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": code, "message": message})


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with state.lock:
            if self.path.startswith("/launch/"):
                target = state.tokens.pop(self.path.removeprefix("/launch/"), None)
                page = f"Hub page {target[1]} for {target[0]}" if target else "Link expired"
                self._send(200 if target else 410, "text/html", page.encode())
                return
            if state.next_raw is not None:
                status, content_type, body = state.next_raw
                state.next_raw = None
                self._send(status, content_type, body)
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = state.api(self.command, self.path, headers, json.loads(raw) if raw else None)
        self._send(answer.status, "application/json", json.dumps(answer.payload).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeHubState


class FakeHub:
    """Start with `with FakeHub() as hub:`; `hub.url`, `hub.state` inside."""

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.state = FakeHubState(base_url=self.url)
        self.server.state = self.state
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    @property
    def requests(self) -> list[Recorded]:
        return self.state.requests
