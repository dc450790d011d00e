"""Security headers and cookies on every kind of page the hub serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from tests.conftest import PASSWORD, SYSTEM
from tests.integrations.conftest import CHART, EMMA, Api, make_key

from rewardshub.integrations.actions import set_frame_ancestors
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

PMS_ORIGIN = "https://pms.example.com"


def _directives(response: HttpResponse) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.fixture
def pages(
    acworth: Practice, owner_client: Client, issue_cards: Any
) -> dict[str, Callable[[], HttpResponse]]:
    """One response of each kind: name -> a call that makes it."""
    api = Api(client=Client(), token=make_key(acworth)[1])
    api.set_card(CHART, issue_cards(acworth, 1)[0], **EMMA)
    emma = Profile.objects.get(practice=acworth)
    set_frame_ancestors(practice=acworth, origins=[PMS_ORIGIN], actor=SYSTEM)

    def chart() -> HttpResponse:
        browser = Client()
        browser.get(urlsplit(api.launch(CHART, "chart").json()["url"]).path)
        return browser.get(f"/chart/{emma.public_id}/")

    return {
        "staff page": lambda: owner_client.get("/patients/"),
        "staff profile": lambda: owner_client.get(f"/patients/{emma.public_id}/"),
        "login": lambda: Client().get("/login/"),
        "portal login": lambda: Client().get("/portal/login/"),
        "api json": lambda: api.status(CHART),
        "api error": lambda: api.status("OT-missing"),
        "openapi": lambda: Client().get("/api/v1/openapi.json"),
        "launch error": lambda: Client().get("/launch/not-a-real-token"),
        "not found": lambda: owner_client.get("/no-such-page/"),
        "chart view": chart,
    }


FRAMED = {"chart view", "launch error"}


def test_it_sends_a_strict_csp_on_every_kind_of_page(
    pages: dict[str, Callable[[], HttpResponse]],
) -> None:
    for name, make in pages.items():
        response = make()
        assert response.status_code < 500, name
        csp = _directives(response)
        for directive in ("default-src", "script-src", "style-src"):
            assert directive in csp or directive != "default-src", (name, csp)
            assert "'unsafe-inline'" not in csp.get(directive, []), (name, directive)
            assert "'unsafe-eval'" not in csp.get(directive, []), (name, directive)
        assert csp["script-src"] == ["'self'"], name
        assert csp["object-src"] == ["'none'"], name
        if name == "chart view":
            assert csp["frame-ancestors"] == [PMS_ORIGIN], name
            assert "X-Frame-Options" not in response, name
        elif name not in FRAMED:
            assert csp["frame-ancestors"] == ["'none'"], name
            assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert "camera=()" in response["Permissions-Policy"], name
        assert "Strict-Transport-Security" not in response, name


def test_it_lets_no_one_frame_the_launch_error_page_of_an_unknown_token(
    client: Client, db: Any
) -> None:
    response = client.get("/launch/not-a-real-token")
    assert response.status_code == 410
    assert _directives(response)["frame-ancestors"] == ["'none'"]


def test_it_lets_no_one_frame_the_chart_view_when_the_practice_lists_no_origins(
    acworth: Practice, owner_client: Client, make_profile: Any
) -> None:
    emma = make_profile(acworth)
    response = owner_client.get(f"/chart/{emma.public_id}/")
    assert response.status_code == 200
    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=False)
def test_it_sends_hsts_over_https_only(
    pages: dict[str, Callable[[], HttpResponse]], owner_client: Client
) -> None:
    secure = owner_client.get("/patients/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in owner_client.get("/patients/")
    assert "Strict-Transport-Security" in Client().get("/portal/login/", secure=True)
    assert "Strict-Transport-Security" in Client().get("/api/v1/openapi.json", secure=True)


def test_production_defaults_turn_on_hsts_and_secure_cookies(monkeypatch: Any) -> None:
    import importlib
    import sys

    monkeypatch.setenv("REWARDSHUB_PRODUCTION", "true")
    monkeypatch.setenv("REWARDSHUB_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("REWARDSHUB_EMAIL_URL", "smtp+tls://hub:pw@mail.example.com:587")
    monkeypatch.delenv("REWARDSHUB_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("REWARDSHUB_HSTS_SECONDS", raising=False)
    saved = sys.modules.pop("rewardshub.settings")
    try:
        prod = importlib.import_module("rewardshub.settings")
        assert prod.SECURE_HSTS_SECONDS == 31536000
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE
        assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    finally:
        sys.modules["rewardshub.settings"] = saved


def _cookie_flags(client: Client) -> dict[str, Any]:
    return {name: morsel for name, morsel in client.cookies.items()}


def test_it_sets_session_and_csrf_cookies_httponly_and_samesite(owner: Any) -> None:
    client = Client()
    client.get("/login/")
    client.post("/login/", {"username": "owner", "password": PASSWORD})
    cookies = _cookie_flags(client)
    assert {"sessionid", "csrftoken"} <= set(cookies)
    for name in ("sessionid", "csrftoken"):
        assert cookies[name]["httponly"], name
        assert cookies[name]["samesite"] == "Lax", name
        assert not cookies[name]["secure"], name


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_it_marks_cookies_secure_when_configured(owner: Any) -> None:
    client = Client()
    client.get("/login/", secure=True)
    client.post("/login/", {"username": "owner", "password": PASSWORD}, secure=True)
    cookies = _cookie_flags(client)
    for name in ("sessionid", "csrftoken"):
        assert cookies[name]["secure"], name
        assert cookies[name]["httponly"], name


def test_it_sets_the_portal_session_cookie_httponly(acworth: Practice) -> None:
    client = Client()
    client.get("/portal/login/")
    client.post("/portal/login/", {"identifier": "0000", "password": "1234"})
    cookies = _cookie_flags(client)
    assert cookies["csrftoken"]["httponly"] and cookies["csrftoken"]["samesite"] == "Lax"
