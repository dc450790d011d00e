"""`GET /metrics`: Prometheus metrics for the allowed caller only, labelled by route
name, never by anything a request carried (no card number, chart id or name)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client
from tests.conftest import SYSTEM
from tests.integrations.conftest import Api, make_key
from tests.live_hub import serve
from tests.ops.conftest import migrated_env

from rewardshub.audit.actions import record_event
from rewardshub.jobs.queue import enqueue
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

TOKEN = "metrics-token-for-tests-0123456789"
CHART = "OT-SECRET-4417"
SAMPLE = re.compile(r"^(?P<name>\w+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")


def samples(text: str, name: str) -> dict[str, float]:
    """The samples of one metric, by their label text."""
    found = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and match.group("name") == name:
            found[match.group("labels") or ""] = float(match.group("value"))
    return found


@pytest.fixture
def with_token(settings: Any) -> None:
    settings.METRICS_TOKEN_SHA256 = hashlib.sha256(TOKEN.encode()).hexdigest()


def test_it_answers_a_caller_from_an_allowed_address(db: Any, client: Client) -> None:
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'rewardshub_http_requests_total{method="GET",route="healthz",status="2xx"}' in text
    assert "rewardshub_http_request_duration_seconds_bucket" in text


@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": "203.0.113.7"},
        {"REMOTE_ADDR": "10.1.2.3"},
        # Through a proxy on the same host: the peer is 127.0.0.1, the caller is not.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_PROTO": "https"},
        {"REMOTE_ADDR": "203.0.113.7", "HTTP_AUTHORIZATION": "Bearer not-the-token-at-all-000"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_AUTHORIZATION": "Bearer not-the-token-at-all-000"},
    ],
    ids=["outside", "private-network", "proxied", "proxied-proto", "wrong-token", "local-wrong"],
)
def test_it_answers_anyone_else_as_if_it_did_not_exist(
    db: Any, client: Client, with_token: None, headers: dict[str, str]
) -> None:
    response = client.get("/metrics", **headers)  # type: ignore[arg-type]
    assert response.status_code == 404
    assert b"rewardshub_" not in response.content


def test_it_answers_the_token_from_anywhere(db: Any, client: Client, with_token: None) -> None:
    response = client.get(
        "/metrics",
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert response.status_code == 200


def test_it_answers_a_network_the_operator_allows(db: Any, client: Client, settings: Any) -> None:
    import ipaddress

    settings.METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_it_counts_waiting_jobs_and_unsealed_audit_events(db: Any, acworth: Practice) -> None:
    before = samples(Client().get("/metrics").content.decode(), "rewardshub_jobs")
    enqueue(practice_id=acworth.pk, kind="mail.test", key="metrics-1", payload={})
    text = Client().get("/metrics").content.decode()
    after = samples(text, "rewardshub_jobs")
    assert after['status="queued"'] == before['status="queued"'] + 1
    assert set(after) == {'status="queued"', 'status="retry"', 'status="running"'}
    unsealed = samples(text, "rewardshub_audit_events_unsealed")[""]
    # An event written and not yet sealed (the test's transaction never commits).
    record_event(practice=acworth, actor=SYSTEM, action="practice.update")
    text = Client().get("/metrics").content.decode()
    assert samples(text, "rewardshub_audit_events_unsealed")[""] == unsealed + 1


def test_no_label_holds_a_card_number_a_chart_id_or_a_name(
    db: Any,
    acworth: Practice,
    frontdesk_client: Client,
    issue_cards: Callable[[Practice, int], list[str]],
    make_profile: Callable[..., Profile],
) -> None:
    card = issue_cards(acworth, 1)[0]
    profile = make_profile(acworth, first="Zebulon", last="Quartermaine", card=card)
    api = Api(client=Client(), token=make_key(acworth)[1])
    detail = f"/patients/{profile.public_id}/"
    assert frontdesk_client.get(f"{detail}?card={card}&chart={CHART}").status_code == 200
    frontdesk_client.post("/patients/search/", {"q": card})
    frontdesk_client.post("/patients/search/", {"q": "Quartermaine"})
    assert frontdesk_client.get(f"/patients/{card}/").status_code == 404
    api.set_card(CHART, card, first_name="Zebulon", last_name="Quartermaine")
    assert api.status(CHART).status_code == 200
    api.status(f"{CHART}-{card}")

    text = Client().get("/metrics").content.decode()
    # The requests were counted, by route name.
    assert 'route="patients:detail"' in text and 'route="unmatched",status="4xx"' in text
    assert re.search(r'route="api:[^"]+",status="2xx"', text), text
    for secret in (
        card,
        CHART,
        "Zebulon",
        "Quartermaine",
        str(profile.public_id),
        profile.username,
    ):
        assert secret not in text, f"{secret} is in the metrics"


@pytest.mark.slow
def test_a_served_hub_adds_up_every_workers_counts_and_keeps_them_from_others(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left by an earlier run")
    env = migrated_env(
        tmp_path,
        REWARDSHUB_METRICS_ALLOW="10.0.0.0/8",
        REWARDSHUB_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    sent = 0
    with serve(env, tmp_path / "hub.log", workers=2) as hub:
        assert not (folder / "counter_99999.db").exists()
        # Until both workers have answered some (each keeps its counts in its own file).
        with ThreadPoolExecutor(8) as pool:
            # (Starting, the hub may have answered /healthz on both already.)
            while sent == 0 or (len(list(folder.glob("counter_*.db"))) < 2 and sent < 800):
                answers = pool.map(
                    lambda _: requests.get(f"{hub.url}/readyz", timeout=20), range(40)
                )
                assert {answer.status_code for answer in answers} == {200}
                sent += 40
        assert len(list(folder.glob("counter_*.db"))) == 2
        # From 127.0.0.1, which this hub does not allow, and without the token.
        assert requests.get(f"{hub.url}/metrics", timeout=10).status_code == 404
        scrapes = [
            requests.get(
                f"{hub.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            )
            for _ in range(6)
        ]
    for scrape in scrapes:
        assert scrape.status_code == 200
        counted = samples(scrape.text, "rewardshub_http_requests_total")
        # Whichever worker answered the scrape adds up both workers' counts.
        assert counted['method="GET",route="readyz",status="2xx"'] == sent
        assert counted['method="GET",route="metrics",status="4xx"'] == 1
