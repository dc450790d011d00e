"""`rewardshub serve` on SIGTERM: the request in flight finishes and gets its answer,
while new connections are refused.

Both of `rewardshub serve`'s worker classes: the thread worker (one worker of
four threads, SQLite's default) and the sync worker (two workers of one
thread, PostgreSQL's default), where the second worker answers the check
that the first holds the sign-in.

The request is held honestly: a staff sign-in writes its attempt count at once
(the lockout counts before it checks the password), and the test holds the
SQLite database's write lock, so the sign-in waits in SQLite's busy timeout
as it would behind a long write. The hub gets its own SQLite file on both
passes: this is about the server, not the database.
"""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from tests.live_hub import serve
from tests.ops.conftest import migrated_env

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def _read_answer(sock: socket.socket) -> bytes:
    sock.settimeout(60)
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


@pytest.mark.slow
@pytest.mark.parametrize(
    ("threads", "workers", "worker_class"),
    [(4, 1, "rewardshub.serve.ThreadWorker"), (1, 2, "rewardshub.serve.SyncWorker")],
    ids=["thread worker", "sync workers"],
)
def test_sigterm_lets_the_request_in_flight_finish_and_refuses_new_connections(
    tmp_path: Path, threads: int, workers: int, worker_class: str
) -> None:
    env = {**migrated_env(tmp_path), "HUB_THREADS": str(threads)}
    database = tmp_path / "var" / "rewardshub.sqlite3"
    lock = sqlite3.connect(database, isolation_level=None, timeout=30)
    with serve(env, tmp_path / "hub.log", workers=workers) as hub:
        assert f"Using worker: {worker_class}" in hub.output()
        server, base = hub.process, hub.url
        assert server is not None
        port = int(base.rsplit(":", 1)[1])
        form = requests.get(f"{base}/login/", timeout=10)
        token = CSRF.search(form.text)
        assert token is not None
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": "nobody",
                "password": "wrong-password",
            }
        ).encode()
        cookie = f"csrftoken={form.cookies['csrftoken']}"

        lock.execute("BEGIN IMMEDIATE")  # every writer of the hub now waits
        try:
            sign_in = socket.create_connection(("127.0.0.1", port), timeout=10)
            sign_in.sendall(
                b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Cookie: {cookie}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            # A later connection answered means the sign-in's was accepted before it:
            # the sign-in is in flight (and waiting for the lock: reads do not).
            assert requests.get(f"{base}/healthz", timeout=10).status_code == 200

            server.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            while not _refused(port) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _refused(port), "a new connection was still taken after SIGTERM"
            assert server.poll() is None, "the server exited with a request in flight"
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        answer = _read_answer(sign_in).decode(errors="replace")
        sign_in.close()
        assert answer.startswith("HTTP/1.1 401 "), answer[:200]
        assert "That username and password do not match." in answer
        assert server.wait(timeout=30) == 0
    # The sign-in was counted: the request ran to its end, its write committed.
    with sqlite3.connect(database) as db:
        failed = db.execute(
            "SELECT count(*) FROM audit_auditevent WHERE action = 'login' AND outcome = 'failed'"
        ).fetchone()[0]
    assert failed == 1
    written = hub.output()
    assert re.search(r'"POST /login/" 401 \d+ [\d.]+s request_id=[0-9a-f]{32}', written), written
