"""Backup and restore of the configured database: SQLite's online backup API, or pg_dump.

A SQLite backup is a plain SQLite file; a PostgreSQL backup is pg_dump's
custom format. Each is recognised by its first bytes, so restoring the wrong
kind, or a file that is no backup at all, is refused before anything changes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connections

from rewardshub.files import PRIVATE_FILE

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
SQLITE = "SQLite"
POSTGRES = "PostgreSQL"


class BackupError(Exception):
    """A refusal or failure, in a sentence an operator can act on."""


def _settings(alias: str = "default") -> dict[str, Any]:
    return connections[alias].settings_dict


def database_kind(alias: str = "default") -> str:
    engine = _settings(alias)["ENGINE"]
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        return SQLITE
    if vendor == "postgresql":
        return POSTGRES
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def file_kind(path: Path) -> str | None:
    """SQLITE or POSTGRES by the file's first bytes; None for anything else."""
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return SQLITE
    if head.startswith(PG_MAGIC):
        return POSTGRES
    return None


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def backup(path: Path, *, force: bool = False, alias: str = "default") -> str:
    """Write a backup of the database to `path`; returns the database kind."""
    kind = database_kind(alias)
    if path.is_dir():
        raise BackupError(f"{path} is a folder. Give a file name, e.g. {path}/rewardshub.backup.")
    if path.exists() and not force:
        raise BackupError(
            f"{path} already exists. Choose another name, or use --force to replace it."
        )
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    # Write beside the target and rename, so a failed backup never leaves a
    # half-written file under the name an operator will later restore from.
    tmp = _temp_beside(path)
    tmp.unlink(missing_ok=True)
    try:
        # A backup holds every patient: readable by its owner only, whatever the umask.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
        if kind == SQLITE:
            _sqlite_backup(Path(_settings(alias)["NAME"]), tmp)
        else:
            _pg_dump(_settings(alias), tmp)
        os.chmod(tmp, PRIVATE_FILE)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return kind


def restore(path: Path, *, force: bool = False, alias: str = "default") -> str:
    """Replace the database's contents with the backup at `path`; returns the database kind."""
    kind = database_kind(alias)
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    found = file_kind(path)
    if found is None:
        raise BackupError(
            f"{path} is not a RewardsHub backup (neither SQLite nor pg_dump custom format)."
        )
    if found != kind:
        raise BackupError(
            f"{path} is a {found} backup, but this hub's database is {kind}. "
            f"Restore it into a hub configured for {found}."
        )
    connection = connections[alias]
    if kind == SQLITE:
        _check_sqlite_backup(path)
    else:
        _check_pg_backup(path)
    if not force and _has_tables(alias):
        raise BackupError(
            "The database already holds data; restoring replaces all of it. "
            "Stop the hub, then run again with --force to go ahead."
        )
    # Our own connection must not hold the file or a table lock while it is replaced.
    connection.close()
    if kind == SQLITE:
        _sqlite_restore(path, Path(_settings(alias)["NAME"]))
    else:
        _pg_restore(_settings(alias), path)
        # pg_restore leaves the tables with no planner statistics, and until
        # autovacuum gathers them PostgreSQL may plan a one-row read as a scan
        # (BENCHMARKS.md, "Stale statistics, seen on the way").
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return kind


def _has_tables(alias: str) -> bool:
    connection = connections[alias]
    with connection.cursor():
        return bool(connection.introspection.table_names())


# SQLite ---------------------------------------------------------------------


def _sqlite_copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    with target:
        source.backup(target)


def _sqlite_backup(database: Path, tmp: Path) -> None:
    if not database.exists():
        raise BackupError(f"The database {database} does not exist yet; nothing to back up.")
    source = sqlite3.connect(database, timeout=20)
    target = sqlite3.connect(tmp)
    try:
        # The online backup API copies a consistent snapshot while the hub runs.
        _sqlite_copy(source, target)
        # One self-contained file: no -wal beside it to forget.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def _check_sqlite_backup(path: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = source.execute("PRAGMA quick_check").fetchone()[0]
        tables = {
            row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}.") from None
    finally:
        source.close()
    if ok != "ok":
        raise BackupError(f"{path} is damaged (SQLite integrity check: {ok}).")
    if not {"django_migrations", "audit_auditevent"} <= tables:
        raise BackupError(f"{path} is a SQLite database, but not a RewardsHub one.")


def _sqlite_restore(path: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=20)
    try:
        # The backup API the other way round: page by page under SQLite's own
        # locks, so a reader never sees half a database.
        _sqlite_copy(source, target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


# PostgreSQL -----------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client) matching the server's version."
        )
    return found


def _pg_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    # Never stop to ask for a password: fail with the server's message instead.
    return [*args, "--no-password"], env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(  # noqa: S603 (fixed tool, arguments from settings)
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {message}")
    return result.stdout


def _pg_dump(db: dict[str, Any], tmp: Path) -> None:
    args, env = _pg_args(db)
    _run(
        [_pg_tool("pg_dump"), *args, "--format=custom", "--file", str(tmp), str(db["NAME"])],
        env,
        "pg_dump",
    )


def _check_pg_backup(path: Path) -> None:
    listing = subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--list", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a readable pg_dump backup: {listing.stderr.strip()}")
    if "audit_auditevent" not in listing.stdout:
        raise BackupError(f"{path} is a pg_dump backup, but not of a RewardsHub database.")


def _pg_restore(db: dict[str, Any], path: Path) -> None:
    args, env = _pg_args(db)
    _run(
        [
            _pg_tool("pg_restore"),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            # All or nothing: a failed restore leaves the database as it was.
            "--single-transaction",
            "--dbname",
            str(db["NAME"]),
            str(path),
        ],
        env,
        "pg_restore",
    )
