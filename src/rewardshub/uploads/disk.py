"""Moving files an older version kept on local disk (MEDIA_ROOT) into the database.

Used by the migration that made the table (a one-machine hub upgrades with
nothing to do by hand) and by `rewardshub files import-disk` (a host whose
files sit elsewhere, or a second run after copying them over). Files are
copied, never deleted: the operator removes the folder once the hub shows
the pictures. A name already stored is left as it is, so a run can repeat.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A stored name has at most this many characters (StoredFile.name).
MAX_NAME = 255
FALLBACK_TYPE = "application/octet-stream"


def content_type_of(name: str) -> str:
    """The content type a file's name says (its extension), or octet-stream."""
    guessed, _ = mimetypes.guess_type(name, strict=True)
    return guessed or FALLBACK_TYPE


@dataclass
class ImportResult:
    imported: int = 0
    already: int = 0
    refused: tuple[str, ...] = ()


def disk_files(root: Path) -> list[tuple[str, Path]]:
    """(storage name, path) of every regular file under `root`, by name."""
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def import_disk(
    model: Any, root: Path, using: str = "default", only: set[str] | None = None
) -> ImportResult:
    """Copy each file under `root` (or only those named in `only`) into `model`
    (StoredFile, or its migration state)."""
    result = ImportResult()
    refused: list[str] = []
    stored = set(model.objects.using(using).values_list("name", flat=True))
    for name, path in disk_files(root):
        if only is not None and name not in only:
            continue
        if name in stored:
            result.already += 1
            continue
        if len(name) > MAX_NAME:
            refused.append(f"{name}: the name is longer than {MAX_NAME} characters")
            continue
        data = path.read_bytes()
        model.objects.using(using).create(
            name=name, content=data, size=len(data), content_type=content_type_of(name)
        )
        result.imported += 1
    result.refused = tuple(refused)
    return result
