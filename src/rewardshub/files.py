"""Files the hub writes hold patient data or secrets: only their owner may read them.

Every entry point (the `rewardshub` command, the WSGI module, `make run`)
sets the process umask to 077 first, so whatever the hub or a tool it starts
creates (the SQLite database and its -wal/-shm files, backups, card files,
mail files) is 0600, folders 0700. Code that creates such a file also asks
for 0600 itself, so the mode holds under any umask, and a database file left
readable by an older version is tightened when the hub opens it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600


def restrict_umask() -> None:
    """New files of this process and its children: owner only."""
    os.umask(PRIVATE_UMASK)


def make_private(path: str | os.PathLike[str]) -> None:
    """Take group and other permissions off an existing file (nothing if it does not exist)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


def sqlite_files(database: str | os.PathLike[str]) -> list[Path]:
    """A SQLite database file and the files SQLite and the hub keep beside it."""
    name = str(database)
    return [Path(name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def tighten_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new SQLite connection (Django's connection_created signal): the
    database and its -wal/-shm files made private, whatever made them."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return
    name = str(connection.settings_dict["NAME"])
    if name:
        for path in sqlite_files(name):
            make_private(path)
