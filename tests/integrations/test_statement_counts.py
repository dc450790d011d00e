"""How many SQL statements a PMS call costs, on SQLite and PostgreSQL alike.

Counted as a real request runs: committed, with what runs after the commit
(the audit chain's sealing). BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE
are not counted.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.integrations.conftest import CHART, EMMA, Api

from rewardshub.integrations.models import TagRule

_TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)

_INSERT_AUDIT = re.compile(r'(INSERT INTO|COPY) "?audit_auditevent"?', re.IGNORECASE)
_INSERT_TAG = re.compile(r'(INSERT INTO|COPY) "?patients_profiletag"?', re.IGNORECASE)


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not _TRANSACTION.match(q["sql"])]


@pytest.mark.django_db(transaction=True)
def test_set_card_of_a_new_chart(api: Api, cards: list[str], tag_rules: list[TagRule]) -> None:
    api.status("WARM-UP")  # the first call's setup (the key's first use) is not counted
    with CaptureQueriesContext(connection) as captured:
        response = api.set_card(CHART, cards[0], **EMMA, pms_status="Active Tx", office="MAR")

    assert response.json()["outcome"] == "created"
    sql = statements(captured)
    # 26 (SQLite and PostgreSQL) before one write path (a DELETE, a SELECT and an INSERT per
    # tag, the tags read back, two audit INSERTs each sealed on its own). Now:
    # tag mapping 1 (the rules with their tags' Locations), chart link 1, number 1 (the
    # card, its profile, whose username it is and whether a confirmation of the chart
    # waits: none, so none is expired), profile 1, tags 1, link 1, launch token 1,
    # Sync log 1, audit 1, sealing 4 (the key comes from its cache after the warm-up call),
    # and 1 that joins the appointments the PMS sent before the chart was linked to the
    # profile (none here). The bound is 15.
    assert len(sql) <= 14, "\n".join(sql)
    # One INSERT for all the call's audit events, one for the tags.
    assert sum(bool(_INSERT_AUDIT.search(s)) for s in sql) == 1
    assert sum(bool(_INSERT_TAG.search(s)) for s in sql) == 1


@pytest.mark.django_db(transaction=True)
def test_update_of_a_synced_chart(api: Api, cards: list[str], tag_rules: list[TagRule]) -> None:
    api.set_card(CHART, cards[0], **EMMA, pms_status="Active Tx", office="MAR")
    changed = {**EMMA, "first_name": "Emily"}
    with CaptureQueriesContext(connection) as captured:
        response = api.update(CHART, **changed, pms_status="Retention", office="MAR")

    assert response.json()["changed"] == ["first_name", "tags"]
    sql = statements(captured)
    # 17 with the tag mapping in two statements. Now: tag mapping 1, chart link 1,
    # profile lock 1, profile UPDATE 1 and its audit 1, tags 3 (read, DELETE, INSERT) and
    # their audit 1, link UPDATE 1 (with the PMS status), Sync log 1, audit 1, sealing 4,
    # and 1 that reads the practice's treatment-milestone rule: the status moved (Active Tx
    # to Retention). An update whose status stays as it was reads no rule.
    assert len(sql) <= 17, "\n".join(sql)
