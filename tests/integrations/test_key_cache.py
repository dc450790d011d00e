"""Finding an integration key through its cache: the same key as the ORM gives,
refused from the call after its revocation, and a lookup in at most 4 statements."""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.integrations.conftest import CHART, EMMA, SYSTEM, Api

from rewardshub.integrations.actions import revoke_key
from rewardshub.integrations.keys import authenticate, find_key
from rewardshub.practices.models import IntegrationKey, Practice

REDIS_URL = os.environ.get("REWARDSHUB_TEST_REDIS_URL") or os.environ.get("REWARDSHUB_REDIS_URL")
# Transaction control is not a statement the call makes.
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(CONTROL)]


def _cached(key: IntegrationKey) -> Any:
    return cache.get(f"integration-key:{key.prefix}")


class TestSameAsTheOrm:
    def test_it_finds_the_key_the_orm_finds_from_the_database_and_from_the_cache(
        self, acworth: Practice, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key, token = acworth_key
        assert _cached(key) is None
        plain = IntegrationKey.objects.select_related("practice").get(prefix=key.prefix)

        with CaptureQueriesContext(connection) as first_queries:
            first = find_key(token)
        with CaptureQueriesContext(connection) as again_queries:
            again = find_key(token)

        assert len(_statements(first_queries)) == 1  # the miss reads the row
        assert _statements(again_queries) == []  # the hit reads nothing
        for found in (first, again):
            assert found is not None
            assert _fields(found) == _fields(plain)
            # The practice's fields are read when used, and are the ORM's.
            assert _fields(found.practice) == _fields(plain.practice)

    def test_it_reads_a_practice_setting_as_it_is_now(
        self, acworth: Practice, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        token = acworth_key[1]
        assert find_key(token) is not None  # cached
        Practice.objects.filter(pk=acworth.pk).update(misc_requires_approval=True)
        found = find_key(token)
        assert found is not None and found.practice.misc_requires_approval is True

    def test_it_refuses_a_wrong_secret_with_a_known_prefix_even_when_cached(
        self, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        token = acworth_key[1]
        assert find_key(token) is not None
        assert find_key(token[:-1] + ("A" if token[-1] != "A" else "B")) is None

    def test_it_keeps_no_entry_for_an_unknown_prefix(self, db: object) -> None:
        assert find_key("rh_00000000_nope") is None
        assert cache.get("integration-key:00000000") is None


class TestRevocation:
    def test_it_refuses_a_revoked_key_on_the_next_call(
        self, api: Api, acworth: Practice, acworth_key: tuple[IntegrationKey, str]
    ) -> None:
        key = acworth_key[0]
        assert api.status(CHART).status_code == 200
        assert _cached(key) is not None

        revoke_key(practice=acworth, key=key, actor=SYSTEM)
        response = api.status(CHART)

        assert response.status_code == 401
        assert response.json()["message"].startswith("This integration key was revoked on ")

    def test_a_lookup_from_before_the_revocation_cannot_cache_the_key_as_live(
        self,
        acworth: Practice,
        acworth_key: tuple[IntegrationKey, str],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        key, token = acworth_key
        with django_capture_on_commit_callbacks(execute=True):
            revoked = revoke_key(practice=acworth, key=key, actor=SYSTEM)

        # A call that missed the cache and read the row just before the commit
        # stores what it read after it.
        IntegrationKey.objects.filter(pk=key.pk).update(revoked_at=None)
        with mock.patch("rewardshub.integrations.keys.cache.get", return_value=None):
            assert authenticate(token) is not None
        IntegrationKey.objects.filter(pk=key.pk).update(revoked_at=revoked.revoked_at)

        assert authenticate(token) is None
        found = find_key(token)
        assert found is not None and found.revoked_at == revoked.revoked_at

    @pytest.mark.skipif(not REDIS_URL, reason="needs REWARDSHUB_TEST_REDIS_URL")
    def test_with_redis_every_worker_sees_the_revocation_at_once(
        self, api: Api, acworth: Practice, acworth_key: tuple[IntegrationKey, str], settings: Any
    ) -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": "rh-test-key-cache",
            }
        }
        # Another worker's view of the same Redis: a client of its own.
        other_worker = RedisCache(REDIS_URL, {"KEY_PREFIX": "rh-test-key-cache"})
        key = acworth_key[0]
        cache_key = f"integration-key:{key.prefix}"
        try:
            assert api.status(CHART).status_code == 200
            assert other_worker.get(cache_key) is not None

            revoke_key(practice=acworth, key=key, actor=SYSTEM)

            assert other_worker.get(cache_key) is None
            assert api.status(CHART).status_code == 401
        finally:
            other_worker.delete(cache_key)


class TestCacheDown:
    def test_calls_and_revocations_go_on_through_the_database(
        self, api: Api, acworth: Practice, acworth_key: tuple[IntegrationKey, str], settings: Any
    ) -> None:
        # A Redis nobody listens on: every cache call fails.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",
            }
        }
        assert api.status(CHART).status_code == 200

        revoke_key(practice=acworth, key=acworth_key[0], actor=SYSTEM)

        response = api.status(CHART)
        assert response.status_code == 401
        assert response.json()["message"].startswith("This integration key was revoked on ")


class TestStatements:
    def test_a_chart_lookup_makes_at_most_4_statements_with_its_log_writes(
        self, api: Api, cards: list[str]
    ) -> None:
        api.set_card(CHART, cards[0], **EMMA)
        api.status(CHART)  # the key's row is cached and its last use written

        with CaptureQueriesContext(connection) as queries:
            response = api.status(CHART)

        assert response.status_code == 200 and response.json()["linked"] is True
        statements = _statements(queries)
        assert len(statements) <= 4, statements
        # The Sync log and audit rows are among them.
        assert sum("INSERT" in sql for sql in statements) == 2, statements
