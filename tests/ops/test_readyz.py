"""`GET /readyz`: 200 when the database (and Redis, when set) answer and every
migration is applied; 503 naming what failed, and 200 again once it is back."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client
from tests.live_hub import Hub, serve
from tests.ops.conftest import TcpProxy, migrated_env, served_env

from rewardshub.audit.models import AuditEvent
from rewardshub.monitoring import readiness

POSTGRES = connection.vendor == "postgresql"
HUB_THREADS = 4  # several threads, each with a kept connection to replace
REDIS_URL = os.environ.get("REWARDSHUB_TEST_REDIS_URL") or os.environ.get("REWARDSHUB_REDIS_URL")


@pytest.fixture
def fresh_migration_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # The answer is remembered once true; each test asks afresh.
    monkeypatch.setattr(readiness, "_migrations_applied", False)


def test_it_is_ready_when_the_database_answers_and_nothing_is_pending(
    db: Any, client: Client, fresh_migration_check: None
) -> None:
    events = AuditEvent.objects.count()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok" if settings.REDIS_URL else "not configured",
        "migrations": "ok",
    }
    # No audit row: it reads no one's data.
    assert AuditEvent.objects.count() == events


def test_it_is_not_ready_while_a_migration_is_not_applied(
    db: Any, client: Client, fresh_migration_check: None
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'jobs' AND name = '0001_background_jobs'"
        )
        assert cursor.rowcount == 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"
    assert response.json()["status"] == "unavailable"


def test_it_is_not_ready_when_redis_does_not_answer(
    db: Any, client: Client, settings: Any, fresh_migration_check: None
) -> None:
    from tests.live_hub import free_port

    settings.REDIS_URL = f"redis://:secret-pass@127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["redis"] == "unreachable"
    assert "secret-pass" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.skipif(not REDIS_URL, reason="needs REWARDSHUB_TEST_REDIS_URL or REWARDSHUB_REDIS_URL")
def test_it_pings_redis_when_the_hub_uses_it(
    db: Any, client: Client, settings: Any, fresh_migration_check: None
) -> None:
    settings.REDIS_URL = REDIS_URL
    assert client.get("/readyz").json()["redis"] == "ok"


def test_it_answers_anyone_without_signing_in_and_only_to_get(db: Any, client: Client) -> None:
    assert client.get("/readyz", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.post("/readyz").status_code == 405


def _ready(url: str) -> tuple[int, dict[str, str]]:
    response = requests.get(f"{url}/readyz", timeout=20)
    return response.status_code, response.json()


def _wait_for(hub: Hub, status: int) -> dict[str, str]:
    """The first /readyz answer with this status, within 20 seconds."""
    deadline = time.monotonic() + 20
    while True:
        code, body = _ready(hub.url)
        if code == status or time.monotonic() > deadline:
            assert code == status, (body, hub.output()[-3000:])
            return body
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.skipif(not POSTGRES, reason="the PostgreSQL pass cuts a connection to PostgreSQL")
def test_a_served_hub_is_unready_while_postgresql_is_away_and_ready_when_it_returns(
    db: Any, pg_proxy: TcpProxy, tmp_path: Path
) -> None:
    given = connection.settings_dict
    auth = given["USER"] + (f":{given['PASSWORD']}" if given.get("PASSWORD") else "")
    # The suite's migrated test database, reached through a proxy the test can cut.
    url = f"postgresql://{auth}@127.0.0.1:{pg_proxy.port}/{given['NAME']}"
    env = served_env(tmp_path, DATABASE_URL=url, HUB_THREADS=str(HUB_THREADS))
    with serve(env, tmp_path / "hub.log") as hub:
        assert _wait_for(hub, 200)["database"] == "ok"
        pg_proxy.stop()
        down = _wait_for(hub, 503)
        assert down["database"] == "unreachable" and down["status"] == "unavailable"
        pg_proxy.start()
        up = _wait_for(hub, 200)
        assert (up["database"], up["migrations"]) == ("ok", "ok")
        # Every thread's kept connection is replaced (at the latest at its next
        # request, which may find it cut): then it stays ready.
        answers = [_ready(hub.url)[0] for _ in range(HUB_THREADS + 8)]
        assert answers[HUB_THREADS:] == [200] * 8, (answers, hub.output()[-2500:])
    log = hub.output()
    assert "Not ready: the database did not answer" in log
    assert str(pg_proxy.port) not in str(down) and "127.0.0.1" not in str(down)


@pytest.mark.slow
def test_a_served_hub_is_unready_while_its_sqlite_folder_is_away_and_ready_when_it_returns(
    tmp_path: Path,
) -> None:
    env = migrated_env(tmp_path)
    var = tmp_path / "var"
    with serve(env, tmp_path / "hub.log") as hub:
        assert _wait_for(hub, 200)["database"] == "ok"
        # The disk went away (unmounted, moved): the open connection would go on
        # with a file nobody can reach again.
        var.rename(tmp_path / "away")
        try:
            down = _wait_for(hub, 503)
        finally:
            (tmp_path / "away").rename(var)
        assert down["database"] == "unreachable"
        assert str(tmp_path) not in str(down)
        assert _wait_for(hub, 200)["migrations"] == "ok"
    assert "Not ready: the SQLite database file is missing." in hub.output()
