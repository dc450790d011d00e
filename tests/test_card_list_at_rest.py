"""A new card batch's temporary passwords are never stored in clear.

Issuing a batch from Settings > Card batches answers with its card list; the
passwords must then be nowhere at rest: not in any table (the sessions
included, decoded), not in the SQLite file or its WAL, not in a backup.

A temporary password is four digits, which any long number or hash also
holds, so the search is for a card number of the batch with, near it, four
digits that verify against that card's hash: a number together with its
password. Signed values (sessions, anything made with django.core.signing) are
searched decoded as well as raw.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import sqlite3
import subprocess
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client

from rewardshub.audit.actors import Actor
from rewardshub.cards.batches import issue_batch
from rewardshub.cards.models import Card
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.practices.models import Practice

POSTGRES = connection.vendor == "postgresql"
pytestmark = pytest.mark.django_db(transaction=True)

# How far from a card number its password is looked for (characters or bytes).
NEAR = 120
FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
DATES = re.compile(r"\d{4}-\d{2}-\d{2}")
# django.core.signing: payload:timestamp:signature, the payload urlsafe base64
# (a leading "." when zlib-compressed).
SIGNED = re.compile(r"(\.?[A-Za-z0-9_-]{8,}):[A-Za-z0-9_-]{4,}:[A-Za-z0-9_-]{20,}")


def _unsigned(text: str) -> Iterator[str]:
    """The decoded payload of every signed value in `text`."""
    for match in SIGNED.finditer(text):
        payload = match.group(1)
        compressed = payload.startswith(".")
        raw = payload.lstrip(".")
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            if compressed:
                data = zlib.decompress(data)
        except (binascii.Error, ValueError, zlib.error):
            continue
        yield data.decode("utf-8", "replace")


@dataclass
class Search:
    """Where each card number of a batch appears with its password near it."""

    hashes: dict[str, str]
    hits: list[str] = field(default_factory=list)
    texts: int = 0
    chars: int = 0

    def look(self, where: str, text: str) -> None:
        for candidate in (text, *_unsigned(text)):
            # What stands beside a card's number in its own row is not its
            # password: its hash (digits in base64 or hex) and its dates ("2026").
            for stored in self.hashes.values():
                if stored:
                    candidate = candidate.replace(stored, " ")
            candidate = DATES.sub(" ", candidate)
            self.texts += 1
            self.chars += len(candidate)
            for number, stored in self.hashes.items():
                start = candidate.find(number)
                while start != -1:
                    window = candidate[max(0, start - NEAR) : start + len(number) + NEAR]
                    window = window.replace(number, " ")
                    if any(check_temp_password(d, stored) for d in FOUR_DIGITS.findall(window)):
                        self.hits.append(f"{where}: card …{number[-4:]} with its password")
                        break
                    start = candidate.find(number, start + 1)

    def rows(self, where: str, rows: Iterable[Iterable[Any]]) -> None:
        """Each row as one text: a number in one column and its password in another count."""
        for row in rows:
            self.look(where, " | ".join(_text(value) for value in row))


def _text(value: Any) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


def search_database(search: Search) -> int:
    """Every row of every table, all columns; returns the number of tables."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            search.rows(f"table {table}", cursor.fetchall())
    return len(tables)


def search_sqlite_files(search: Search, database: Path) -> int:
    """The database file and its WAL byte by byte (free pages and old versions included).

    Read by another process: closing a file this process opened on the live
    database would drop every POSIX lock this process's SQLite connections hold
    on it, and a server process closing next could then take itself for the
    last user and delete the -wal and -shm files under them (a later "disk I/O
    error" in another test).
    """
    size = 0
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            data = subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout
            size += len(data)
            search.look(f"file {path.name}", data.decode("latin-1"))
    return size


def search_backup(search: Search, path: Path) -> int:
    call_command("backup", str(path))
    data = path.read_bytes()
    search.look("backup file", data.decode("latin-1"))
    if POSTGRES:
        # pg_dump's custom format is compressed: read it back as SQL.
        sql = subprocess.run(
            ["pg_restore", "--data-only", "-f", "-", str(path)],
            check=True, capture_output=True, text=True,
        ).stdout
        assert f"COPY public.{Card._meta.db_table}" in sql, "the dump holds no card table"
        search.rows("backup (pg_restore)", ([line] for line in sql.splitlines()))
    else:
        backup_db = sqlite3.connect(path)
        try:
            found = backup_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            names = [row[0] for row in found]
            assert Card._meta.db_table in names, "the backup holds no card table"
            for name in names:
                rows = backup_db.execute(f'SELECT * FROM "{name}"')  # noqa: S608
                search.rows(f"backup table {name}", rows)
        finally:
            backup_db.close()
    return len(data)


def search_everywhere(hashes: dict[str, str], backup: Path) -> Search:
    search = Search(hashes)
    search_database(search)
    if not POSTGRES:
        search_sqlite_files(search, Path(connection.settings_dict["NAME"]))
    search_backup(search, backup)
    return search


def _card_hashes(practice: Practice) -> dict[str, str]:
    return dict(Card.objects.filter(practice=practice).values_list("number", "temp_password_hash"))


def test_an_issued_card_list_is_never_stored(
    owner_client: Client, acworth: Practice, tmp_path: Path, record_property: Any
) -> None:
    response = owner_client.post("/cards/batches/issue/", {"count": 12, "label": "Fall"})
    hashes = _card_hashes(acworth)
    assert len(hashes) == 12

    # Right after issuing, before anything else is asked for.
    after_issue = search_everywhere(hashes, tmp_path / "after-issue.backup")
    assert after_issue.hits == []

    # The answer to the issuing request is the card list itself, uncached.
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cards-acworth-')
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["card_number"] for row in rows} == set(hashes)
    assert all(check_temp_password(row["temp_password"], hashes[row["card_number"]])
               for row in rows)

    # The owner opens the page again: the batch is listed, with what happened.
    page = owner_client.get("/cards/batches/")
    [batch] = page.context["batches"]
    assert (batch.size, batch.available, batch.label) == (12, 12, "Fall")
    [flash] = [str(m) for m in get_messages(page.wsgi_request)]
    assert flash.startswith("Issued 12 cards. Their card list came as the download cards-acworth-")
    assert "it is the only copy of their temporary passwords" in flash

    after_page = search_everywhere(hashes, tmp_path / "after-page.backup")
    assert after_page.hits == []
    record_property(
        "summary",
        f"card list at rest: 12 cards searched for in {after_page.texts:,} texts "
        f"({after_page.chars:,} characters: every table, "
        f"{'pg_restore of the backup' if POSTGRES else 'the SQLite file and WAL, the backup'}); "
        f"0 hits",
    )


def _old_style_session(hashes: dict[str, str], passwords: dict[str, str]) -> Session:
    """A session as the hub kept one until the card list was downloaded."""
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store["issued_batch"] = {"batch": "x", "cards": [[n, passwords[n]] for n in hashes]}
    # And a new portal password from a profile page, not yet shown (one that
    # opens none of these cards, so the card count below stays exact).
    other = next(
        digits
        for digits in (f"{n:04d}" for n in range(10_000))
        if not any(check_temp_password(digits, stored) for stored in hashes.values())
    )
    store["portal_new_temp_password"] = {"profile": "0" * 32, "password": other}
    store.save()
    return Session.objects.get(session_key=store.session_key)


def test_the_search_finds_a_card_list_kept_in_a_session(
    acworth: Practice, tmp_path: Path
) -> None:
    """The search above can fail: a card list kept the old way is found in each place."""
    issued = issue_batch(practice=acworth, count=5, actor=Actor.system("test"))
    passwords = {card.number: card.temp_password for card in issued}
    hashes = _card_hashes(acworth)
    _old_style_session(hashes, passwords)

    search = search_everywhere(hashes, tmp_path / "planted.backup")
    places = {hit.split(":")[0] for hit in search.hits}
    assert "table django_session" in places
    assert any(p.startswith("backup") for p in places)
    if not POSTGRES:
        assert any(p.startswith("file ") for p in places)
    # Five cards, each found: none is missed.
    table_hits = [h for h in search.hits if h.startswith("table django_session")]
    assert len(table_hits) == 5


def test_upgrading_drops_card_lists_that_sessions_still_hold(
    acworth: Practice, tmp_path: Path
) -> None:
    issued = issue_batch(practice=acworth, count=3, actor=Actor.system("test"))
    passwords = {card.number: card.temp_password for card in issued}
    hashes = _card_hashes(acworth)
    kept = _old_style_session(hashes, passwords)

    call_command("migrate", "cards", "0001", verbosity=0)
    # To the newest of every app: going back on cards also takes back what is built on it.
    call_command("migrate", verbosity=0)

    session = Session.objects.get(session_key=kept.session_key)
    data = SessionStore().decode(session.session_data)
    assert data == {"_auth_user_id": "1"}  # the sign-in stays; the list is gone
    search = Search(hashes)
    search_database(search)
    assert search.hits == []
