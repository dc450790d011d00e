"""A real `rewardshub serve` for tests, everything it writes captured, and a browser-like client.

The hub runs in its own process against a database of its own (a SQLite file
under its var dir, or a scratch PostgreSQL database: see `scratch_env` in
tests/test_backup.py), so what it prints is exactly what an operator's log
would hold.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rewardshub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "rewardshub", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"rewardshub {' '.join(args)} failed:\n{result.stderr}")
    return result


@dataclass
class Hub:
    url: str
    log: Path
    # The `rewardshub serve` process, for a test that signals it.
    process: subprocess.Popen[bytes] | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(env: dict[str, str], log: Path, workers: int = 1) -> Iterator[Hub]:
    """`rewardshub serve` until the block ends; stdout and stderr both go to `log`."""
    port = free_port()
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "rewardshub", "serve", "--port", str(port),
             "--workers", str(workers)],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
        hub = Hub(f"http://127.0.0.1:{port}", log, server)
        try:
            for _ in range(300):
                try:
                    requests.get(f"{hub.url}/healthz", timeout=5)
                    break
                except requests.RequestException:
                    if server.poll() is not None:
                        raise AssertionError(f"the hub did not start:\n{hub.output()}") from None
                    time.sleep(0.1)
            yield hub
        finally:
            server.terminate()
            server.wait(timeout=30)


def hub_env(base: dict[str, str], var: Path) -> dict[str, str]:
    """The environment of a hub in `var`, with the default mail set-up and this source tree."""
    env = {k: v for k, v in base.items() if not k.startswith("REWARDSHUB_EMAIL")}
    env["REWARDSHUB_VAR_DIR"] = str(var)
    if env.get("DATABASE_URL", "").startswith("sqlite"):
        env["DATABASE_URL"] = f"sqlite:///{var / 'rewardshub.sqlite3'}"
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


class Browser(requests.Session):
    """A session that fills in the CSRF token of the form it just loaded, like a browser."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def get_page(self, path: str, **kwargs: Any) -> requests.Response:
        return self.get(self.base + path, timeout=30, **kwargs)

    def submit(
        self, path: str, data: dict[str, str], form_page: str = "", **kwargs: Any
    ) -> requests.Response:
        """Post `data` to `path` with the CSRF token of the form on `form_page` (or `path`)."""
        form = self.get_page(form_page or path)
        token = CSRF.search(form.text)
        assert token is not None, f"no form at {path}: {form.status_code}"
        return self.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )
