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
    assert "/api/v1/pms/orthotrac/patients/<chart>" in written
    assert "CHART-SECRET-77" not in written
