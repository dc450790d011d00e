"""Sign-in throttles against a real `rewardshub serve` of 3 workers, a new connection a request.

With a per-process count each worker would lock only what it saw: an attacker
whose connections land on 3 workers would get 3 times the guesses. These
tests count what the server let through: right-password staff sign-ins during
a lock, card guesses checked before the card's lock, and guesses from one
address before its limit. The store is the database (the default without
Redis), and Redis too when REWARDSHUB_REDIS_URL is set.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from tests.conftest import PASSWORD, SYSTEM
from tests.integrations.test_crash_safety import ROOT, Hub, hub_env

from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.cards.batches import issue_batch
from rewardshub.practices.models import Practice

__all__ = ["hub_env"]  # the fixture, used by name below
WORKERS = 3
# CI sets REWARDSHUB_TEST_REDIS_URL (.ci/run): the served hub then counts in Redis too.
REDIS_URL = os.environ.get("REWARDSHUB_TEST_REDIS_URL") or os.environ.get("REWARDSHUB_REDIS_URL")
STORES = ["database"]
if REDIS_URL:
    STORES.append("redis")


class Browserless:
    """Form posts with a CSRF token, each on a new TCP connection (so on any worker)."""

    def __init__(self, url: str, form_path: str) -> None:
        self.netloc = urlsplit(url).netloc
        self.path = form_path
        status, headers, body = self.request("GET", form_path)
        assert status == 200, body
        self.cookie = next(
            v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and "csrftoken" in v
        )
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert found is not None
        self.token = found.group(1)

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, list[tuple[str, str]], str]:
        conn = http.client.HTTPConnection(self.netloc, timeout=60)
        try:
            conn.request(
                method, path, body=body or None, headers={"Connection": "close", **(headers or {})}
            )
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read().decode()
        finally:
            conn.close()

    def post(self, **fields: str) -> int:
        body = urlencode({"csrfmiddlewaretoken": self.token, **fields})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        status, _, _ = self.request("POST", self.path, body, headers)
        return status


@pytest.fixture(params=STORES)
def hub(request: Any, hub_env: dict[str, str], tmp_path: Path) -> Iterator[Hub]:
    env = {**hub_env, "REWARDSHUB_THROTTLE_STORE": request.param}
    if request.param == "redis":
        env["REWARDSHUB_REDIS_URL"] = str(REDIS_URL)
        # A prefix of its own: no count from an earlier run is seen.
        env["REWARDSHUB_CACHE_PREFIX"] = f"throttle-test-{uuid.uuid4().hex}"
    else:
        env.pop("REWARDSHUB_REDIS_URL", None)
    server = Hub(env, tmp_path / "server.log", workers=WORKERS)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_a_locked_staff_username_stays_locked_on_every_worker(hub: Hub, owner: Any) -> None:
    staff = Browserless(hub.url, "/login/")
    statuses = [staff.post(username="owner", password="not-the-password") for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    right = [staff.post(username="owner", password=PASSWORD) for _ in range(12)]
    signed_in = right.count(302)
    print(f"staff lock over {WORKERS} workers: {signed_in} of {len(right)} right passwords got in")
    assert signed_in == 0 and right == [429] * len(right)
    assert AuditEvent.objects.filter(action="login", outcome=Outcome.DENIED).count() == 12


def _portal_events(outcome: str, reason: str) -> int:
    return AuditEvent.objects.filter(
        action="portal.login", outcome=outcome, detail__reason=reason
    ).count()


@pytest.mark.slow
def test_a_card_gets_exactly_five_guesses_over_every_worker(
    hub: Hub, acworth: Practice, make_profile: Any
) -> None:
    card = issue_batch(practice=acworth, count=1, actor=SYSTEM)[0]
    make_profile(acworth, first="Emma", last="Johnson", card=card.number)
    wrong = [f"{(int(card.temp_password) + n) % 10_000:04d}" for n in range(1, 11)]
    portal = Browserless(hub.url, "/portal/login/")
    statuses = [portal.post(identifier=card.number, password=guess) for guess in wrong]
    # The right temporary password, during the lock, is refused too.
    statuses.append(portal.post(identifier=card.number, password=card.temp_password))
    checked = _portal_events(Outcome.FAILED, "bad_credentials")
    print(f"card lock over {WORKERS} workers: {checked} guesses checked of {len(wrong)}")
    assert checked == 5
    assert statuses == [401] * 4 + [429] * 7
    assert _portal_events(Outcome.DENIED, "username_locked") == 6


@pytest.mark.slow
def test_one_address_gets_exactly_twenty_guesses_over_every_worker(
    hub: Hub, acworth: Practice
) -> None:
    cards = issue_batch(practice=acworth, count=30, actor=SYSTEM)
    portal = Browserless(hub.url, "/portal/login/")
    # One guess per card: no card reaches its own limit, only the address does.
    statuses = [portal.post(identifier=c.number, password="0000x") for c in cards]
    checked = _portal_events(Outcome.FAILED, "bad_credentials")
    print(f"address limit over {WORKERS} workers: {checked} guesses checked of {len(cards)}")
    assert checked == 20
    assert statuses == [401] * 19 + [429] * 11
    assert _portal_events(Outcome.DENIED, "address_locked") == 10


def _burst(send: Any, count: int) -> list[int]:
    """`count` calls of `send` at once, each on its own connection (so on any worker)."""
    start = threading.Barrier(count)

    def one(_: int) -> int:
        start.wait()
        return int(send())

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.slow
def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(
    hub: Hub, acworth: Practice, make_profile: Any, owner: Any
) -> None:
    card = issue_batch(practice=acworth, count=1, actor=SYSTEM)[0]
    make_profile(acworth, first="Emma", last="Johnson", card=card.number)
    portal = Browserless(hub.url, "/portal/login/")
    statuses = _burst(lambda: portal.post(identifier=card.number, password="0000x"), 16)
    checked = _portal_events(Outcome.FAILED, "bad_credentials")
    staff = Browserless(hub.url, "/login/")
    staff_statuses = _burst(lambda: staff.post(username="owner", password="wrong-one"), 16)
    staff_checked = AuditEvent.objects.filter(action="login", outcome=Outcome.FAILED).count()
    print(
        f"parallel bursts of 16 over {WORKERS} workers: {checked} card guesses and "
        f"{staff_checked} staff passwords checked"
    )
    # Each attempt is counted before its password is checked: never more than 5
    # (the fifth failure answers with the lock, as in a sequence of tries).
    assert checked == 5 and sorted(statuses) == [401] * 4 + [429] * 12
    assert staff_checked == 5 and sorted(staff_statuses) == [401] * 4 + [429] * 12


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 4])
def test_serve_refuses_a_per_process_store_with_more_than_one_worker(
    workers: int, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "REWARDSHUB_VAR_DIR": str(tmp_path),
        "REWARDSHUB_THROTTLE_STORE": "memory",
    }
    refused = subprocess.run(
        [sys.executable, "-m", "rewardshub", "serve", "--port", "1", "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"rewardshub serve: refusing to start {workers} workers with "
        "REWARDSHUB_THROTTLE_STORE=memory: each worker would count failed sign-ins "
        "on its own, so lockouts and rate limits would not hold. Unset "
        "REWARDSHUB_THROTTLE_STORE (the database keeps them; or Redis with "
        "REWARDSHUB_REDIS_URL), or run --workers 1."
    )


@pytest.mark.slow
def test_serve_runs_one_worker_on_a_per_process_store_when_chosen(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "REWARDSHUB_VAR_DIR": str(tmp_path),
        "REWARDSHUB_THROTTLE_STORE": "memory",
    }
    subprocess.run([sys.executable, "-m", "rewardshub", "migrate", "-v", "0"], env=env, check=True)
    # Hub waits for /healthz to answer and fails the test if the server exits instead.
    Hub(env, tmp_path / "server.log", workers=1).stop()
