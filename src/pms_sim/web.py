"""Just enough HTTP for the simulator: request, response, and one-shot messages.

The sim is a test and demo tool; a framework would be a dependency the
bridge packages promise not to have.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = [
    "Request",
    "Response",
    "Flash",
    "FormTooLarge",
    "redirect",
    "origin_of",
    "MAX_FORM_BYTES",
]

MAX_FORM_BYTES = 64 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    host: str
    origin: str | None

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        form: dict[str, str] = {}
        if method == "POST":
            form = _parse_form(environ)
        return cls(
            method=method,
            path=environ.get("PATH_INFO", "") or "/",
            query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
            form=form,
            host=environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
            origin=environ.get("HTTP_ORIGIN"),
        )


class FormTooLarge(Exception):
    pass


def _parse_form(environ: dict[str, Any]) -> dict[str, str]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_FORM_BYTES:
        raise FormTooLarge
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    pairs = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    # First value wins, as a form never sends a field twice.
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


@dataclass
class Response:
    body: str | bytes = ""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Origins this page may frame (the hub's chart view); the CSP is built from it.
    frame_origins: tuple[str, ...] = ()

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


def redirect(path: str, **query: str) -> Response:
    """303 so the browser follows a POST with a GET (redirect-after-POST)."""
    params = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items() if v)
    location = f"{path}?{params}" if params else path
    return Response(status=303, headers=[("Location", location)])


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Flash:
    """One-shot results carried across a redirect-after-POST, kept in memory.

    The sim's database holds charts only; a hub launch URL is single-use and
    short-lived, so it must not be stored or put in the sim's own URLs.
    """

    def __init__(self, ttl_seconds: float = 300.0) -> None:
        self._ttl = ttl_seconds
        self._items: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def put(self, payload: dict[str, str]) -> str:
        key = secrets.token_urlsafe(16)
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if v[0] > now}
            self._items[key] = (now + self._ttl, payload)
        return key

    def pop(self, key: str | None) -> dict[str, str] | None:
        if not key:
            return None
        with self._lock:
            item = self._items.pop(key, None)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]
