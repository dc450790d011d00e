"""Site-wide behaviour: health check, request ids, security headers, settings helpers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from rewardshub.env import env_bool, env_int


def test_it_reports_health_with_the_database_vendor(db: object, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in {"sqlite", "postgresql"}


def test_it_tags_every_response_with_a_request_id(db: object, client: Client) -> None:
    response = client.get("/healthz")
    assert len(response["X-Request-Id"]) == 32


def test_it_keeps_a_well_formed_incoming_request_id(db: object, client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef12-3456")
    assert response["X-Request-Id"] == "abcdef12-3456"


def test_it_replaces_a_malformed_incoming_request_id(db: object, client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-Id"] != "<script>"


def test_it_sends_a_strict_content_security_policy(db: object, client: Client) -> None:
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_it_redirects_anonymous_visitors_to_sign_in(db: object, client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_it_refuses_a_boolean_setting_that_is_not_true_or_false(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REWARDSHUB_X", "maybe")
    with pytest.raises(
        ImproperlyConfigured, match="REWARDSHUB_X must be true or false, not 'maybe'"
    ):
        env_bool("REWARDSHUB_X", False)


def test_it_refuses_a_number_setting_below_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDSHUB_X", "0")
    with pytest.raises(ImproperlyConfigured, match="REWARDSHUB_X must be at least 1, not 0"):
        env_int("REWARDSHUB_X", 5, minimum=1)


def test_it_refuses_a_production_start_with_the_development_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REWARDSHUB_SECRET_KEY"}
    env["REWARDSHUB_PRODUCTION"] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "rewardshub", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "REWARDSHUB_SECRET_KEY is the development secret" in result.stderr


def test_it_masks_chart_ids_and_launch_tokens_in_the_access_log() -> None:
    from rewardshub.access_log import redact_path

    assert redact_path("/api/v1/pms/orthotrac/patients/OT-10001/launch") == (
        "/api/v1/pms/<system>/patients/<chart_id>/launch"
    )
    assert redact_path("/api/v1/pms/orthotrac/patients:batch") == (
        "/api/v1/pms/<system>/patients:batch"
    )
    assert redact_path("/launch/abcDEF123") == "/launch/<token>"
    assert redact_path("/patients/") == "/patients/"


def test_browsers_asking_for_favicon_ico_get_the_hubs_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
