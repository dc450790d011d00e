"""Reads of the audit trail that other areas show (the profile's recent activity)."""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from rewardshub.audit.models import NOT_ACTIVITY_ACTIONS, AuditEvent
from rewardshub.statement import Statement


def _not_activity() -> RawSQL:
    # The list is written into the statement, not bound as parameters: SQLite
    # uses a partial index only when the query repeats the index's condition
    # word for word, and the profile's views (most of its audit rows) are then
    # never stepped over. The column name comes from the model; the values are
    # the constants of audit/models.py, so nothing typed by a user is in it.
    column = connection.ops.quote_name(AuditEvent._meta.get_field("action").column)
    values = ", ".join(f"'{action}'" for action in NOT_ACTIVITY_ACTIONS)
    return RawSQL(f"NOT ({column} IN ({values}))", [], output_field=BooleanField())  # noqa: S611


RECENT = 10
# On every profile page: compiled once (statement.Statement), the limit with it.
def _recent(practice_id: int, profile_id: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        _not_activity(), practice_id=practice_id, profile_id=profile_id
    ).order_by("-created_at", "-id")[:RECENT]


_RECENT = Statement(_recent, int, int, kind="models")


def recent_activity(*, practice_id: int, profile_id: int) -> list[AuditEvent]:
    """A profile's latest changes (RECENT of them): reads, PMS launches and opened
    launch links left out (they are in the audit log); served by
    audit_profile_activity_idx."""
    events: list[AuditEvent] = _RECENT.rows(practice_id, profile_id)
    return events
