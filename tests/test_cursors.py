"""The compiled statements' cursor (cursors.py): psycopg's own on PostgreSQL
while no one logs queries, behaving as Django's where it matters."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from rewardshub import cursors
from rewardshub.fastsql import create
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import _read

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def test_statements_skip_djangos_wrapper_only_on_postgresql_with_no_one_logging() -> None:
    assert cursors.plain() is POSTGRES
    with CaptureQueriesContext(connection):
        assert not cursors.plain()
    with connection.execute_wrapper(lambda execute, *args: execute(*args[:-1] or args)):
        assert not cursors.plain()


def test_a_logged_connection_still_sees_every_statement(acworth: Practice) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert _read("name").rows(acworth.pk) == [(acworth.name,)]
    assert len(queries.captured_queries) == 1
    assert '"practices_practice"' in queries.captured_queries[0]["sql"]


def test_an_error_is_raised_as_djangos(acworth: Practice) -> None:
    twin = Practice(name="Twin", slug=acworth.slug, time_zone="UTC")
    with pytest.raises(IntegrityError), transaction.atomic():
        create(twin)


def test_a_transaction_that_failed_is_refused_as_django_refuses_it(acworth: Practice) -> None:
    with transaction.atomic():
        # An inner block with no savepoint: its error marks the whole transaction.
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            create(Practice(name="Twin", slug=acworth.slug, time_zone="UTC"))
        with pytest.raises(TransactionManagementError):
            _read("name").rows(acworth.pk)
