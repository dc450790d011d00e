"""A long `__in` list goes to PostgreSQL as one array (backends/postgresql/lookups.py):
the same rows as Django's IN list, and short lists and SQLite keep the IN list."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rewardshub.backends.postgresql.base import MAX_PREPARED_PARAMS
from rewardshub.backends.postgresql.lookups import MANY
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db


def _sql(read: Callable[[], list[object]]) -> tuple[list[object], str]:
    with CaptureQueriesContext(connection) as sent:
        rows = read()
    (query,) = sent.captured_queries
    return rows, query["sql"]


@pytest.fixture
def profiles(acworth: Practice, make_profile: Callable[..., Profile]) -> list[Profile]:
    return [make_profile(acworth) for _ in range(3)]


@pytest.mark.parametrize("count", [1, MANY, MANY + 1, 1000])
def test_many_ids_read_the_same_rows_and_go_as_one_array_on_postgresql(
    acworth: Practice, profiles: list[Profile], count: int
) -> None:
    wanted = [p.pk for p in profiles[:2]]
    # Ids that match nothing fill the list, and a None, which matches nothing either.
    ids = [*wanted, None, *range(-count, -2)][:count] if count > 2 else wanted[:count]
    expected = {pk for pk in wanted if pk in ids}
    names = ([p.username for p in profiles[:2]] + [f"{n:016d}" for n in range(count)])[
        : max(count, 2)
    ]
    by_pk, sql = _sql(lambda: list(Profile.objects.filter(pk__in=ids).values_list("pk", flat=True)))
    by_fk, fk_sql = _sql(
        lambda: list(
            Profile.objects.filter(practice_id=acworth.pk, merged_into__isnull=True)
            .filter(practice__in=[acworth.pk, *range(-count, -1)][:count])
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
    )
    by_text, text_sql = _sql(
        lambda: list(
            Profile.objects.filter(username__in=names).values_list("pk", flat=True)
        )
    )
    assert set(by_pk) == expected and set(by_fk) == expected
    assert set(by_text) == {p.pk for p in profiles[:2]}
    array = connection.vendor == "postgresql" and count > MANY
    assert ("= ANY(" in sql) is array and ("IN (" in sql) is not array
    assert ("= ANY(" in fk_sql) is array
    assert ("= ANY(" in text_sql) is array


def test_an_array_of_many_ids_is_not_prepared() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans in the process, with nothing to prepare")
    many = [-n for n in range(1, MAX_PREPARED_PARAMS + 2)]
    for _ in range(8):
        list(Practice.objects.filter(pk__in=many).values_list("pk", flat=True)[:3])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert not [text for text in prepared if "ANY(" in text], prepared
