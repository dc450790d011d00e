"""Django's SQLite backend, with writers queued instead of polling for the lock.

SQLite lets one writer in at a time. A second writer that finds the lock
taken sleeps and retries (1, 2, 5, 10 ... 100 ms between tries), so under a
burst of PMS calls a request can sleep tens of milliseconds for a lock that
was free again after one. Here every write transaction (each `atomic()`
block begins with BEGIN IMMEDIATE) first takes a writer lock: a mutex among
the threads of this process, then an exclusive flock on a file beside the
database among processes. A waiting writer is woken the moment the lock is
released. Readers never take it (WAL lets them read alongside the writer).

The lock is a queue in front of SQLite's own, not a replacement: if a thread
of this process waits longer than the database timeout (a test holding a
transaction open in another thread), it goes on without the mutex and
SQLite's timeout decides, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base

from rewardshub.files import make_private, sqlite_files


class _WriterLock:
    """The writer lock of one database file, shared by the threads of a process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.mutex = threading.Lock()
        self.fd: int | None = None
        self.pid = 0

    def _file(self) -> int:
        # Opened per process: a forked server worker needs its own open file,
        # or its flock would be the parent's.
        if self.fd is None or self.pid != os.getpid():
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self.pid = os.getpid()
        return self.fd

    def acquire(self, timeout: float) -> bool:
        if not self.mutex.acquire(timeout=timeout):
            return False
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self.mutex.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.mutex.release()


_locks: dict[str, _WriterLock] = {}
_locks_guard = threading.Lock()


def _writer_lock(name: str) -> _WriterLock:
    path = os.path.abspath(name) + "-writer.lock"
    with _locks_guard:
        lock = _locks.get(path)
        if lock is None:
            lock = _locks[path] = _WriterLock(path)
        return lock


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_writer: _WriterLock | None = None
        # The lock of the file last used; NAME changes when a test database is made.
        self._writer_of: tuple[str, _WriterLock | None] = ("", None)

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        name = str(self.settings_dict["NAME"])
        if name and not self.is_in_memory_db():
            # A database (or -wal/-shm) created readable by all, by an older
            # version or another umask, is tightened whenever the hub opens it.
            for path in sqlite_files(name):
                make_private(path)
        return connection

    def _writer(self) -> _WriterLock | None:
        name = str(self.settings_dict["NAME"])
        if self._writer_of[0] != name:
            lock = None if self.is_in_memory_db() or not name else _writer_lock(name)
            self._writer_of = (name, lock)
        return self._writer_of[1]

    def _start_transaction_under_autocommit(self) -> None:
        lock = self._writer()
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if lock is not None and self._holds_writer is None and lock.acquire(timeout):
            self._holds_writer = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # a hook the stubs omit
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        lock, self._holds_writer = self._holds_writer, None
        if lock is not None:
            lock.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]  # a hook the stubs omit
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # a hook the stubs omit
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]  # a hook the stubs omit
        finally:
            self._release_writer()
