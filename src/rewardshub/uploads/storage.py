"""A Django Storage that keeps files in the database (the `StoredFile` table).

Every host of a hub reads the same rows, so an upload made through one is
served by the others, and `rewardshub backup` holds it with the rest. The
hub's uploads are small (prize pictures are re-encoded to at most 1,200
pixels on a side), which is what makes a table the right place for them.

A save runs in the caller's transaction: a prize saved with its picture
commits both or neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

from rewardshub.uploads.disk import content_type_of
from rewardshub.uploads.models import StoredFile


def read_all(content: File[Any] | IO[bytes]) -> bytes:
    """Every byte of an upload, a ContentFile or an open file, from its start."""
    if hasattr(content, "seek"):
        content.seek(0)
    if isinstance(content, File):
        return b"".join(
            chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in content.chunks()
        )
    return content.read()


@deconstructible(path="rewardshub.uploads.storage.DatabaseStorage")
class DatabaseStorage(Storage):
    """Files as rows: name (unique), content, size, content type, created_at."""

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("DatabaseStorage files are written with save(), not open().")
        row = StoredFile.objects.filter(name=name).values_list("content", flat=True).first()
        if row is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return ContentFile(bytes(row), name=name)

    def _save(self, name: str, content: File[Any]) -> str:
        data = read_all(content)
        StoredFile.objects.create(
            name=name, content=data, size=len(data), content_type=content_type_of(name)
        )
        return name

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        size = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        directories: set[str] = set()
        files: list[str] = []
        names = StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True)
        for name in names:
            rest = name[len(prefix) :]
            head, slash, _ = rest.partition("/")
            if slash:
                directories.add(head)
            else:
                files.append(rest)
        return sorted(directories), sorted(files)

    def get_created_time(self, name: str) -> datetime:
        created = StoredFile.objects.filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"No stored file named {name!r}.")
        return created

    # A stored file never changes: a new upload gets a new name.
    get_modified_time = get_created_time
    get_accessed_time = get_created_time

    def url(self, name: str | None) -> str:
        # Files are served by views that check who may see them (the prize
        # picture view), never from a public address of the storage.
        raise NotImplementedError("Stored files are served by their own views, not by URL.")
