"""The rows one chunk of a batch sync writes, kept as plain values and saved in bulk.

Every value comes from the same decisions as the one-chart path
(patients/changes.py, decisions.py); only the writing differs: one
statement per table for the whole chunk (fastsql.Rows), not one per row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from rewardshub.audit.models import Outcome
from rewardshub.automations.actions import attach_charts
from rewardshub.fastsql import Rows
from rewardshub.integrations.caller import Caller
from rewardshub.integrations.link_status import status_values
from rewardshub.integrations.models import PmsLink, SyncAction
from rewardshub.integrations.sync_log import Row, SyncLogRows
from rewardshub.patients.changes import DEMOGRAPHIC_FIELDS, TagPlan, TagRef
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag

PROFILE_COLUMNS = tuple(
    "location_id" if name == "location" else name for name in DEMOGRAPHIC_FIELDS
)


@dataclass
class NewChartOnly:
    """A new chart-only profile's rows, built ahead; `rows` name the profile (id last)."""

    index: int
    chart_id: str
    username: str
    public_id: uuid.UUID
    profile_row: list[Any]
    rows: list[Row]


class Writes:
    """Everything one chunk writes, collected first and saved in a few bulk queries."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.now = timezone.now()
        practice_id = caller.practice.pk
        self.update_profiles: list[Profile] = []
        self.update_fields: set[str] = set()
        self.drop_tags: list[tuple[int, tuple[TagRef, ...]]] = []
        self.synced_links: list[int] = []
        # Linked charts whose PMS status moved, by the status they moved to.
        self.moved_links: dict[str, list[int]] = defaultdict(list)
        self.profiles = Rows(
            Profile,
            {
                "practice_id": practice_id,
                "kind": ProfileKind.CHART_ONLY,
                "created_at": self.now,
                "updated_at": self.now,
            },
            ("public_id", "username", *PROFILE_COLUMNS),
        )
        self.links = Rows(
            PmsLink,
            {
                "practice_id": practice_id,
                "system": caller.system,
                "created_at": self.now,
                "last_synced_at": self.now,
            },
            ("chart_id", "profile_id", "pms_status", "pms_status_changed_at"),
        )
        self.tags = Rows(
            ProfileTag,
            {"practice_id": practice_id, "created_at": self.now},
            ("profile_id", "tag_id", "exclusive_group_id"),
        )
        # The same values as audit.actions.record_event and sync_log.sync_rows write.
        self.sync_log = SyncLogRows(caller, SyncAction.BATCH, self.now)
        self.audits = self.sync_log.audits

    def status_columns(self, status: str | None) -> tuple[str, dt.datetime | None]:
        """A new link's pms_status and pms_status_changed_at, as link_status.status_values."""
        return (status, self.now) if status is not None else ("", None)

    def audit(self, profile_id: int, action: str, detail: dict[str, Any]) -> None:
        self.audits.add(profile_id, action, Outcome.OK, detail)

    def tag_row(self, profile_id: int | None, tag: TagRef) -> list[Any]:
        return self.tags.row(profile_id, tag.id, tag.group_id if tag.exclusive else None)

    def retag(self, profile_id: int, plan: TagPlan) -> None:
        """What tag_plan decided for a profile: rows to drop and add, one audit per change."""
        if plan.drop:
            self.drop_tags.append((profile_id, plan.drop))
        self.tags.rows.extend(self.tag_row(profile_id, tag) for tag in plan.add)
        for detail in plan.events:
            self.audit(profile_id, "profile.tag", detail)

    def save_new(self, new_profiles: list[NewChartOnly]) -> dict[int, tuple[str, uuid.UUID]]:
        """Insert the new chart-only profiles and their links; index -> (username, public id)."""
        if not new_profiles:
            return {}
        self.profiles.rows.extend(new.profile_row for new in new_profiles)
        self.profiles.write()
        # executemany returns no ids: read them back by the (unique) usernames.
        ids = dict(
            Profile.objects.filter(username__in=[new.username for new in new_profiles]).values_list(
                "username", "pk"
            )
        )
        for new in new_profiles:
            profile_id = ids[new.username]
            for insert, row in new.rows:
                row[insert.position["profile_id"]] = profile_id
                insert.rows.append(row)
        self.links.write()
        # Appointments the PMS sent before these charts were linked join them.
        attach_charts(
            self.caller.practice,
            self.caller.system,
            {new.chart_id: ids[new.username] for new in new_profiles},
        )
        return {new.index: (new.username, new.public_id) for new in new_profiles}

    def flush(self) -> None:
        if self.update_profiles:
            Profile.objects.bulk_update(
                self.update_profiles, sorted(self.update_fields | {"updated_at"})
            )
        if self.drop_tags:
            gone = Q()
            for profile_id, tags in self.drop_tags:
                gone |= Q(profile_id=profile_id, tag_id__in=[tag.id for tag in tags])
            ProfileTag.objects.filter(gone).delete()
        self.tags.write()
        if self.synced_links:
            PmsLink.objects.filter(pk__in=self.synced_links).update(last_synced_at=self.now)
        # One statement per status the chunk's charts moved to (a few at most).
        for status, links in self.moved_links.items():
            PmsLink.objects.filter(pk__in=links).update(**status_values(status, self.now))
        self.sync_log.write()
