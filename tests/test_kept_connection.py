"""A kept PostgreSQL connection's check at a request's first statement
(CONN_HEALTH_CHECKS): without a round trip while the socket is quiet, and a
connection the server ended is still replaced before the request uses it."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql import base as django_postgresql

from rewardshub.practices.models import Practice

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite's connection is in the process"
    ),
    pytest.mark.django_db(transaction=True),
]


def _fresh_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()
    connection.ensure_connection()


def test_a_quiet_kept_connection_is_taken_without_asking_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_connection(monkeypatch)

    def select_one(self: object) -> bool:
        raise AssertionError("the quiet connection was asked with SELECT 1")

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", select_one)
    assert connection.is_usable()


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(
    acworth: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh_connection(monkeypatch)
    ended = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [ended])
    # The server says why, then closes: wait for its message to arrive.
    deadline = time.monotonic() + 10
    while not select.select([connection.connection.fileno()], [], [], 0.1)[0]:
        assert time.monotonic() < deadline, "the ended connection never became readable"
    assert not connection.is_usable()
    connection.health_check_done = False  # as at the start of the next request
    assert Practice.objects.get(pk=acworth.pk).name == acworth.name
    assert connection.connection.info.backend_pid != ended
