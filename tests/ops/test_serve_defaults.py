"""`rewardshub serve`'s threads a worker: one on PostgreSQL, four on SQLite (serve.py says why)."""

from __future__ import annotations

from django.db import connection

from rewardshub.serve import default_threads


def test_a_worker_runs_one_thread_on_postgresql_and_four_on_sqlite() -> None:
    assert default_threads("rewardshub.backends.postgresql") == 1
    assert default_threads("django.db.backends.postgresql") == 1
    assert default_threads("rewardshub.backends.sqlite3") == 4
    # Without an engine: the one this run's settings name.
    assert default_threads() == (1 if connection.vendor == "postgresql" else 4)
