"""`python -m pms_sim seed` and `python -m pms_sim serve`, as `make run` uses them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from pms_sim import charts
from pms_sim.seed import DEMO_CHARTS, EMMA_CHART_ID

from .conftest import SRC


def sim_env(db: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "PMS_SIM_DB": str(db), **extra}


def test_the_seed_command_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "var" / "pms_sim.sqlite3"

    done = subprocess.run(
        [sys.executable, "-m", "pms_sim", "seed"],
        capture_output=True,
        text=True,
        env=sim_env(db),
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert f"{len(DEMO_CHARTS)} demo chart(s) added" in done.stdout
    with charts.connect(db) as conn:
        assert charts.get(conn, EMMA_CHART_ID) is not None


def test_the_serve_command_serves_on_the_given_port(tmp_path: Path, dead_url: str) -> None:
    db = tmp_path / "var" / "pms_sim.sqlite3"
    port = urlsplit(dead_url).port
    command = [sys.executable, "-m", "pms_sim", "serve", "--port", str(port)]

    with subprocess.Popen(
        command,
        env=sim_env(db, PMS_SIM_API_KEY=""),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            body = _wait_for(f"{dead_url}/healthz", proc)
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)

    assert body == "ok"
    # The schema exists even without a seed, so the lookup screen works at once.
    with charts.connect(db) as conn:
        assert charts.search(conn) == []
    assert "PMS_SIM_API_KEY is not set" in err
    assert f"PMS simulator on http://127.0.0.1:{port}/" in err


def _wait_for(url: str, proc: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                return str(answer.read().decode())
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
