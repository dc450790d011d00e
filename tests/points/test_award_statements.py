"""How many statements an award costs, audit writing and sealing included.

Counted on both databases as the action runs in the served hub: its
transaction, then the after-commit sealing of its audit event. BEGIN,
COMMIT, SAVEPOINT and RELEASE are not counted; an executemany counts once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from tests.conftest import SYSTEM

from rewardshub.audit.chain import seal_all
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items, award_misc
from rewardshub.points.ledger import LedgerKey
from rewardshub.points.models import RewardItem
from rewardshub.practices.models import Practice

MOST = 8
NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")


def statements(work: Callable[[], Any]) -> list[str]:
    seal_all()  # the fixtures' own events: sealing them is not the award's
    with (
        CaptureQueriesContext(connection) as captured,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        work()
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].lstrip().upper().startswith(NOT_COUNTED)
    ]


@pytest.fixture
def emma(acworth: Practice, make_profile: Callable[..., Profile]) -> Profile:
    return make_profile(acworth)


class TestAwardStatements:
    def test_it_awards_a_menu_item_in_at_most_eight(
        self, acworth: Practice, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        sql = statements(
            lambda: award_items(
                practice=acworth, profile=emma, items=[menu["on_time"]], actor=SYSTEM
            )
        )
        assert len(sql) <= MOST, "\n".join(sql)

    def test_it_awards_with_an_idempotency_key_in_at_most_eight(
        self, acworth: Practice, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        key = LedgerKey("pms:k-1", "h")
        sql = statements(
            lambda: award_items(
                practice=acworth,
                profile=emma,
                items=[menu["on_time"]],
                actor=SYSTEM,
                idempotency=key,
            )
        )
        assert len(sql) <= MOST, "\n".join(sql)

    def test_it_gives_misc_points_with_a_key_in_at_most_eight(
        self, acworth: Practice, emma: Profile
    ) -> None:
        key = LedgerKey("pms:k-2", "h")
        sql = statements(
            lambda: award_misc(
                practice=acworth,
                profile=emma,
                points=5,
                description="Helped",
                actor=SYSTEM,
                role="owner",
                idempotency=key,
            )
        )
        assert len(sql) <= MOST, "\n".join(sql)

    def test_the_sealing_is_counted(
        self, acworth: Practice, emma: Profile, menu: dict[str, RewardItem]
    ) -> None:
        sql = statements(
            lambda: award_items(
                practice=acworth, profile=emma, items=[menu["on_time"]], actor=SYSTEM
            )
        )
        # The head moves (on PostgreSQL in the WITH of the links' UPDATE).
        assert any(re.search(r'UPDATE "?audit_auditchainhead"? ', s) for s in sql)
