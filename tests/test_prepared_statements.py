"""On PostgreSQL the hub's statements are prepared, so the database plans each
once a connection (settings.py says why); REWARDSHUB_DB_PREPARED_STATEMENTS=false
turns that off for a pooler that cannot keep them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from rewardshub.backends.postgresql.base import MAX_PREPARED_PARAMS
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db


def test_a_statement_run_again_and_again_is_prepared_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans in the process, with nothing to prepare")
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.connection.prepare_threshold == 5
    for n in range(6):  # psycopg prepares a statement on its fifth run
        list(Practice.objects.filter(pk=-n).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "practices_practice"' in text for text in prepared), prepared


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_batch_statement_with_many_parameters_is_never_prepared() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans in the process, with nothing to prepare")
    few = [-n for n in range(1, MAX_PREPARED_PARAMS + 1)]  # the most a prepared one may have
    many = [-n for n in range(1, MAX_PREPARED_PARAMS + 2)]
    for _ in range(8):
        list(Practice.objects.filter(pk__in=few).values_list("pk", flat=True)[:5])
        list(Practice.objects.filter(pk__in=many).values_list("pk", flat=True)[:5])
    lists = sorted(text.count("$") for text in _prepared() if 'FROM "practices_practice"' in text)
    assert lists == [MAX_PREPARED_PARAMS], lists


def _options(**env: str) -> dict[str, object]:
    probe = (
        "import json, django.conf\n"
        "print(json.dumps(django.conf.settings.DATABASES['default']['OPTIONS']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "rewardshub.settings",
             "DATABASE_URL": "postgresql://hub@127.0.0.1:5432/hub", **env},
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(done.stdout)


def test_prepared_statements_are_on_by_default_and_can_be_turned_off() -> None:
    on = _options()
    assert (on["server_side_binding"], on["prepare_threshold"]) == (True, 5)
    off = _options(REWARDSHUB_DB_PREPARED_STATEMENTS="false")
    assert "server_side_binding" not in off and "prepare_threshold" not in off
