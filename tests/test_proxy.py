"""Forwarded headers are believed from the trusted proxies only (rewardshub/proxy.py).

Behind nginx every connection comes from the proxy: the client's address
(sign-in limits per address, the audit trail's "from where") and scheme come
from X-Forwarded-For and X-Forwarded-Proto. Sent by anyone else, those
headers are dropped, so a client cannot pick its own address or claim HTTPS.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.proxy import client_address, proxy_networks

PROXIES = proxy_networks(["127.0.0.1", "10.0.0.0/24"])


class TestClientAddress:
    def test_it_takes_the_address_the_proxy_wrote(self) -> None:
        assert client_address("127.0.0.1", "203.0.113.7", PROXIES) == "203.0.113.7"

    def test_it_reads_right_to_left_past_trusted_proxies_only(self) -> None:
        # A client's own "X-Forwarded-For: 1.2.3.4" ends up on the left: never believed.
        forwarded = "1.2.3.4, 203.0.113.7, 10.0.0.5"
        assert client_address("127.0.0.1", forwarded, PROXIES) == "203.0.113.7"

    def test_it_ignores_the_header_from_anyone_else(self) -> None:
        assert client_address("198.51.100.9", "203.0.113.7", PROXIES) == "198.51.100.9"

    def test_it_keeps_the_connection_when_the_header_is_missing_or_garbled(self) -> None:
        assert client_address("127.0.0.1", "", PROXIES) == "127.0.0.1"
        assert client_address("127.0.0.1", "not-an-address", PROXIES) == "127.0.0.1"

    def test_a_bad_entry_in_the_setting_says_what_to_write(self) -> None:
        with pytest.raises(ImproperlyConfigured) as refused:
            proxy_networks(["127.0.0.1", "nginx.local"])
        assert str(refused.value) == (
            "REWARDSHUB_TRUSTED_PROXIES has 'nginx.local', which is not an IP address or "
            "network. List the proxies' addresses, e.g. 127.0.0.1,10.0.0.0/24."
        )


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = PROXIES
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 60


def _failed_login(owner: Any, **meta: str) -> AuditEvent:
    response = Client().post("/login/", {"username": "owner", "password": "wrong"}, **meta)
    assert response.status_code == 401
    return AuditEvent.objects.filter(action="login").latest("id")


def test_the_audit_trail_records_the_client_the_proxy_names(
    behind_proxy: None, owner: Any
) -> None:
    event = _failed_login(owner, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert event.source_ip == "203.0.113.7"


def test_a_client_that_bypasses_the_proxy_cannot_choose_its_address_or_scheme(
    behind_proxy: None, owner: Any
) -> None:
    event = _failed_login(
        owner,
        REMOTE_ADDR="198.51.100.9",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert event.source_ip == "198.51.100.9"
    page = Client().get("/login/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in page  # not taken for HTTPS


def test_https_at_the_proxy_counts_as_https(behind_proxy: None) -> None:
    page = Client().get("/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert page["Strict-Transport-Security"] == "max-age=60"


def test_without_trusted_proxies_the_connection_is_the_client(owner: Any) -> None:
    event = _failed_login(owner, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert event.source_ip == "127.0.0.1"


def test_served_by_is_sent_only_when_the_operator_asks(settings: Any, owner: Any) -> None:
    assert "X-Served-By" not in Client().get("/login/")
    settings.SERVED_BY = "hub-a"
    assert Client().get("/login/")["X-Served-By"] == "hub-a"


def test_a_production_hub_refuses_per_process_throttles(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "REWARDSHUB_VAR_DIR": str(tmp_path),
        "REWARDSHUB_PRODUCTION": "true",
        "REWARDSHUB_SECRET_KEY": "x" * 50,
        "REWARDSHUB_EMAIL_URL": "smtp+tls://hub:pw@mail.example.com:587",
        "REWARDSHUB_THROTTLE_STORE": "memory",
        "DJANGO_SETTINGS_MODULE": "rewardshub.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 1
    assert (
        "REWARDSHUB_THROTTLE_STORE is memory but REWARDSHUB_PRODUCTION is on: each process "
        "(and each host) would count failed sign-ins on its own."
    ) in result.stderr
