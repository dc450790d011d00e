"""`rewardshub serve`: gunicorn as in production, with an access log free of identifiers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_it_serves_with_gunicorn_and_keeps_chart_ids_out_of_the_access_log(tmp_path: Path) -> None:
    # The server gets its own SQLite file: this is about the server, not the database.
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "REWARDSHUB_VAR_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "-m", "rewardshub", "migrate", "-v", "0"], env=env, check=True)
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "rewardshub", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(
            f"{base}/api/v1/pms/orthotrac/patients/CHART-SECRET-77",
            headers={"Authorization": "Bearer rh_nope_nope"},
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=5)
        assert caught.value.code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    written = (tmp_path / "server.log").read_text()
    assert '"GET /healthz" 200' in written
    assert "/api/v1/pms/<system>/patients/<chart_id>" in written
    assert "CHART-SECRET-77" not in written


@pytest.mark.slow
def test_the_server_links_every_audit_event_into_the_chain_without_being_asked(
    tmp_path: Path,
) -> None:
    # `rewardshub serve` seals the audit chain in each request right after its
    # commit: after a burst of calls, every event is linked, with no
    # `audit seal` to do it.
    import json
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    database = tmp_path / "hub.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "REWARDSHUB_VAR_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "-m", "rewardshub", "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [sys.executable, "-m", "rewardshub", "demo", "--out", str(tmp_path / "demo.json")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    key = json.loads((tmp_path / "demo.json").read_text())["practices"][0]["api_key"]
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "rewardshub", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    calls = 60

    def lookup(n: int) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/pms/orthotrac/patients/BURST{n}",
            headers={"Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            return int(response.status)

    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(lookup, range(calls))) == {200}
        with sqlite3.connect(database) as db:
            # Each answer was sent after its request sealed: nothing is pending now.
            pending = db.execute(
                "SELECT count(*) FROM audit_auditevent WHERE seq IS NULL"
            ).fetchone()[0]
            logged = db.execute(
                "SELECT count(*) FROM audit_auditevent WHERE action = 'pms.status'"
            ).fetchone()[0]
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    assert logged == calls
    assert pending == 0
    verify = subprocess.run(
        [sys.executable, "-m", "rewardshub", "audit", "verify"], env=env, capture_output=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"serve: {calls} lookups over 2 workers, {logged} audit rows, all linked in the chain")


def test_a_worker_freezes_what_it_loaded_out_of_the_collectors_sight() -> None:
    # gunicorn's worker imports rewardshub.wsgi once forked; what that loads
    # (Django, the apps, every view) is frozen, so full collections skip it.
    code = (
        "import gc, sys; assert gc.get_freeze_count() == 0; import rewardshub.wsgi; "
        "sys.stdout.write(str(gc.get_freeze_count()))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert int(found.stdout) > 50_000
