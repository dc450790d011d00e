"""The SQLite backend's wait for the write lock (backends/sqlite3/base.py):
BEGIN IMMEDIATE tried again in short steps, on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Generator
from pathlib import Path

import pytest
from django.db import connection, transaction

from rewardshub.backends.sqlite3 import base as lock_module
from rewardshub.backends.sqlite3.base import begin_immediate


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=20, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    return db


@pytest.fixture
def two(tmp_path: Path) -> Generator[tuple[sqlite3.Connection, sqlite3.Connection], None, None]:
    first, second = _open(tmp_path / "lock.sqlite3"), _open(tmp_path / "lock.sqlite3")
    first.execute("CREATE TABLE t (n INTEGER)")
    yield first, second
    first.close()
    second.close()


def test_it_takes_the_lock_once_the_holder_commits(
    two: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    holder, waiter = two
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    waiting = threading.Event()
    done: list[int] = []

    def wait() -> None:
        waiting.set()
        begin_immediate(waiter, timeout_s=20)
        done.append(waiter.execute("SELECT count(*) FROM t").fetchone()[0])
        waiter.execute("INSERT INTO t VALUES (2)")
        waiter.execute("COMMIT")

    thread = threading.Thread(target=wait)
    thread.start()
    waiting.wait()
    thread.join(0.05)
    assert thread.is_alive() and done == []  # still waiting while the lock is held
    holder.execute("COMMIT")
    thread.join(20)
    assert done == [1]  # it began after the holder's commit, and saw it
    assert holder.execute("SELECT count(*) FROM t").fetchone()[0] == 2


def test_it_gives_up_after_the_timeout_and_keeps_the_busy_timeout(
    two: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    holder, waiter = two
    waiter.execute("PRAGMA busy_timeout = 1234")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter, timeout_s=0.05)
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
    holder.execute("ROLLBACK")
    begin_immediate(waiter, timeout_s=0.05)
    assert waiter.in_transaction
    waiter.execute("ROLLBACK")


def test_any_other_error_is_raised_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(lock_module.time, "sleep", slept.append)
    broken = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    broken.execute("BEGIN")  # a transaction already open: not a busy lock
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        begin_immediate(broken, timeout_s=20)
    assert slept == []  # not tried again
    broken.close()


@pytest.mark.django_db(transaction=True)
def test_the_hubs_transactions_begin_through_it() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock only")
    with transaction.atomic():
        assert connection.connection.in_transaction
        # IMMEDIATE: the write lock is held from BEGIN, before any write.
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            begin_immediate(other, timeout_s=0.01)
        other.close()
