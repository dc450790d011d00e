"""Crash safety of batch sync: SIGKILL the server in the middle of a 10,000-chart
onboarding, restart it, send the same batch again, and find every chart synced
exactly once, with nothing half-written.

The server is the production one (`rewardshub serve`: gunicorn, 2 workers of one
thread each) in a process group of its own, on the database pytest-django made
for this test (a file on SQLite, a database on PostgreSQL), over real HTTP.
The 10,000 charts are 10 calls of 1,000 (the endpoint's limit), sent from 4
client threads at once; the kill lands once the database shows some profiles
committed but not all, with calls still being processed.

Two ways a PMS sends a batch, two commit units:
- with an Idempotency-Key per call, a call commits whole (the key's record
  and its 1,000 charts in one transaction): after the kill, a call either
  committed, and its resend is replayed from the record, or left nothing,
  and its resend runs anew. Each chart gets exactly one "created" SyncEvent,
  and each committed call one "replayed" SyncEvent (no chart id).
- without a key, each chunk of a call commits on its own: charts of a chunk
  committed before the kill are "unchanged" on the resend, the others are
  "created". Each chart gets exactly one "created" SyncEvent, plus one
  "unchanged" if it was committed before the kill.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Q

from rewardshub.audit.models import AuditEvent
from rewardshub.integrations.batch import CHUNK
from rewardshub.integrations.models import IdempotencyRecord, PmsLink, SyncEvent, TagRule
from rewardshub.patients.models import Profile, ProfileTag
from rewardshub.practices.models import IntegrationKey, Practice

CHARTS = 10_000
PER_CALL = 1_000
CLIENT_THREADS = 4
# Kill once this many charts are committed: well past the first commit, well
# short of the last, so calls are answered, in flight and not yet sent.
KILL_AT = 2_000
ROOT = Path(__file__).resolve().parents[2]


def _chart(n: int) -> dict[str, Any]:
    return {
        "chart_id": f"CS-{n:05d}",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "birth_date": f"20{n % 10:02d}-0{n % 9 + 1}-1{n % 10}",
        "phone_mobile": f"770-555-{n % 10_000:04d}",
        "pms_status": "Active Tx" if n % 3 else "Retention",
        "office": "ACW" if n % 2 else "MAR",
    }


CALLS = [
    [_chart(n) for n in range(start, start + PER_CALL)] for start in range(0, CHARTS, PER_CALL)
]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hub:
    """`rewardshub serve` in a process group of its own, so SIGKILL reaches every worker."""

    def __init__(self, env: dict[str, str], log: Path, workers: int | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        extra = [] if workers is None else ["--workers", str(workers)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rewardshub", "serve", "--port", str(self.port), *extra],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"the hub exited: see {log}"
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2).read()
                return
            except OSError:
                assert time.monotonic() < deadline, f"the hub did not start: see {log}"
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and its workers at once, as a power cut or the OOM killer would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:  # the workers, reparented, are gone once init reaps them
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, "a worker outlived SIGKILL"
            time.sleep(0.05)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not self._log.closed:
            self._log.close()


@dataclass
class Answer:
    status: int | None  # None: no answer (the server died under the call)
    replayed: bool = False
    outcomes: Counter[str] = field(default_factory=Counter)


def _send(url: str, token: str, call: int, idempotency: bool) -> Answer:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if idempotency:
        headers["Idempotency-Key"] = f"onboarding-call-{call}"
    body = json.dumps({"patients": CALLS[call], "pms_user": "onboarding"}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/pms/orthotrac/patients:batch", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            results = json.loads(response.read())["results"]
            return Answer(
                response.status,
                response.headers.get("Idempotent-Replayed") == "true",
                Counter(r["outcome"] for r in results),
            )
    except urllib.error.HTTPError as err:
        return Answer(err.code)
    except (OSError, http.client.IncompleteRead):
        # Connection reset or refused, or the answer cut off half-way: the kill.
        return Answer(None)


def _committed(practice: Practice) -> int:
    return PmsLink.objects.filter(practice=practice).count()


def _assert_nothing_half_written(practice: Practice) -> None:
    """Every profile of the practice has its link, and every link its profile."""
    profiles = Profile.objects.filter(practice=practice)
    assert not profiles.filter(pms_links__isnull=True).exists(), "a profile without its link"
    assert not profiles.filter(Q(first_name="") | Q(last_name="")).exists(), "a profile unnamed"
    links = PmsLink.objects.filter(practice=practice)
    assert not links.exclude(profile__practice=practice).exists(), "a link to another's profile"
    assert not ProfileTag.objects.filter(practice=practice).exclude(profile__in=profiles).exists()


@pytest.fixture
def hub_env(tmp_path: Path, transactional_db: Any) -> Iterator[dict[str, str]]:
    # The server processes write the test database itself; transactional_db
    # empties it afterwards instead of rolling back a transaction they cannot see.
    yield {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REWARDSHUB_VAR_DIR": str(tmp_path / "var"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("idempotency", [True, False], ids=["idempotency-key", "no-key"])
def test_it_survives_sigkill_mid_batch_and_a_resend_syncs_each_chart_once(
    hub_env: dict[str, str],
    tmp_path: Path,
    acworth: Practice,
    acworth_key: tuple[IntegrationKey, str],
    tag_rules: list[TagRule],
    idempotency: bool,
    record_property: Any,
) -> None:
    token = acworth_key[1]
    log = tmp_path / "hub.log"

    # 1. Send the 10 calls and kill the server while they are being processed.
    hub = Hub(hub_env, log)
    try:
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            futures = [
                pool.submit(_send, hub.url, token, call, idempotency) for call in range(len(CALLS))
            ]
            deadline = time.monotonic() + 300
            while _committed(acworth) < KILL_AT:
                assert time.monotonic() < deadline, "no charts committed in 5 minutes"
                time.sleep(0.01)
            hub.kill()
            first = [future.result() for future in futures]
    finally:
        hub.stop()

    answered = sum(a.status == 200 for a in first)
    assert all(a.status in (200, None) for a in first), [a.status for a in first]
    committed = _committed(acworth)
    unsealed = AuditEvent.objects.filter(practice=acworth, seq__isnull=True).count()
    record_property(
        "summary",
        f"crash safety on {connection.vendor} ({'with' if idempotency else 'without'} "
        f"Idempotency-Key): {CHARTS} charts sent in {len(CALLS)} calls, SIGKILL after "
        f"{answered} calls answered; {committed} charts committed before the kill, "
        f"{unsealed} of their audit events not yet linked into the chain"
    )
    assert KILL_AT <= committed < CHARTS
    assert answered < len(CALLS)
    # What a commit holds: a whole call with a key, a chunk without.
    assert committed % (PER_CALL if idempotency else CHUNK) == 0, committed
    assert Profile.objects.filter(practice=acworth).count() == committed
    _assert_nothing_half_written(acworth)

    # 2. Restart and send the same 10 calls again (same bodies, same keys).
    hub = Hub(hub_env, log)
    try:
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            second = list(
                pool.map(lambda call: _send(hub.url, token, call, idempotency), range(len(CALLS)))
            )
    finally:
        hub.stop()

    assert [a.status for a in second] == [200] * len(CALLS)
    replayed_calls = sum(a.replayed for a in second)
    answers = sum((a.outcomes for a in second), Counter())

    # 3. Exactly one complete profile per chart, one link per chart.
    sent = {chart["chart_id"]: chart for call in CALLS for chart in call}
    profiles = Profile.objects.filter(practice=acworth)
    links = PmsLink.objects.filter(practice=acworth, system="orthotrac")
    assert profiles.count() == CHARTS
    assert links.count() == CHARTS
    assert not links.values("chart_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not links.values("profile_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    _assert_nothing_half_written(acworth)
    stored = {
        chart_id: (first_name, last_name, birth_date.isoformat(), phone)
        for chart_id, first_name, last_name, birth_date, phone in links.values_list(
            "chart_id",
            "profile__first_name",
            "profile__last_name",
            "profile__birth_date",
            "profile__phone_mobile",
        )
    }
    assert stored == {
        chart_id: (c["first_name"], c["last_name"], c["birth_date"], c["phone_mobile"])
        for chart_id, c in sent.items()
    }
    # Status and location tags: two per profile, each the one its chart maps to.
    tags = Counter(ProfileTag.objects.filter(practice=acworth).values_list("profile_id", flat=True))
    assert len(tags) == CHARTS and set(tags.values()) == {2}
    retainer = set(
        links.filter(profile__tags__name="*Retainer Patient").values_list("chart_id", flat=True)
    )
    assert retainer == {c for c, chart in sent.items() if chart["pms_status"] == "Retention"}

    # 4. A SyncEvent for each chart: one "created" each, whatever the kill cut.
    events = SyncEvent.objects.filter(practice=acworth, action="batch")
    created = Counter(events.filter(outcome="created").values_list("chart_id", flat=True))
    assert created == Counter(sent.keys())
    outcomes = Counter(events.values_list("outcome", flat=True))
    if idempotency:
        # Committed calls replay their first answer; the others run anew.
        assert replayed_calls == committed // PER_CALL
        assert outcomes == {"created": CHARTS, "replayed": replayed_calls}
        assert answers == {"created": CHARTS}
        assert IdempotencyRecord.objects.filter(practice=acworth).count() == len(CALLS)
    else:
        # Charts committed before the kill are found unchanged, once each.
        assert replayed_calls == 0
        assert outcomes == {"created": CHARTS, "unchanged": committed}
        assert answers == {"created": CHARTS - committed, "unchanged": committed}
    assert AuditEvent.objects.filter(practice=acworth, action="profile.create").count() == CHARTS
    assert AuditEvent.objects.filter(practice=acworth, action="pms.batch").count() == events.count()

    # 5. The audit chain still verifies; events cut off before their sealing are checked
    #    by their signatures and reported as not yet sealed (verify never seals).
    verify = subprocess.run(
        [sys.executable, "-m", "rewardshub", "audit", "verify"],
        env=hub_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("Audit chain intact:"), verify.stdout
    record_property(
        "summary",
        f"after the resend: {replayed_calls} calls replayed, {answers['created']} charts "
        f"created and {answers['unchanged']} found unchanged; {profiles.count()} profiles, "
        f"{links.count()} links (no duplicates), {events.count()} batch sync events "
        f"({dict(outcomes)}); {verify.stdout.strip()}"
    )
