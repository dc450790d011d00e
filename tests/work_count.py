"""Counting a request's work: how the tests prove two sign-in paths cost the same.

The hasher is Django's argon2 one, subclassed only to count every encode and
verify, the slow part of a sign-in, whoever asks for it (our code, Django's
ModelBackend, a dummy check); the queries are counted by shape (verb, table).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def query_shape(sql: str) -> str:
    """A query without its values: its verb and its first table.

    INSERT and UPDATE are both "WRITE": a row written is the same work whether
    it is a new account's or an existing one's.
    """
    verb = sql.split(None, 1)[0].upper()
    verb = "WRITE" if verb in ("INSERT", "UPDATE") else verb
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1) if table else ''}"


class CountingArgon2PasswordHasher(Argon2PasswordHasher):
    calls: list[str] = []

    def encode(self, password: str, salt: str) -> str:
        type(self).calls.append("encode")
        return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        type(self).calls.append("verify")
        return super().verify(password, encoded)


@pytest.fixture
def hash_calls(settings: Any) -> Iterator[list[str]]:
    """The hasher's calls from here on (settings switch to the counting hasher)."""
    settings.PASSWORD_HASHERS = [
        "tests.work_count.CountingArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    CountingArgon2PasswordHasher.calls = []
    yield CountingArgon2PasswordHasher.calls
