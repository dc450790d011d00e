"""`rewardshub serve`'s workers: one thread on PostgreSQL, four on SQLite, and the
sync worker for one thread (serve.py says why), with the URLconf loaded before
a worker takes its first connection."""

from __future__ import annotations

import subprocess
import sys

from django.db import connection

from rewardshub.serve import default_threads, worker_class


def test_a_worker_runs_one_thread_on_postgresql_and_four_on_sqlite() -> None:
    assert default_threads("rewardshub.backends.postgresql") == 1
    assert default_threads("django.db.backends.postgresql") == 1
    assert default_threads("rewardshub.backends.sqlite3") == 4
    # Without an engine: the one this run's settings name.
    assert default_threads() == (1 if connection.vendor == "postgresql" else 4)


def test_one_thread_runs_the_sync_worker_and_more_the_thread_worker() -> None:
    assert worker_class(1) == "rewardshub.serve.SyncWorker"
    assert worker_class(2) == "rewardshub.serve.ThreadWorker"
    assert worker_class(4) == "rewardshub.serve.ThreadWorker"


def test_the_wsgi_module_imports_every_view_before_the_first_request() -> None:
    probe = (
        "import sys, rewardshub.wsgi\n"
        "print('rewardshub.urls' in sys.modules,"
        " 'rewardshub.integrations.api_appointments' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "True"], done.stderr
