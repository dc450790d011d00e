"""The rows one chunk of a batch sync writes, collected first and saved in a few bulk
statements (batch.py plans and checks them; this module holds and writes them).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import Field, Model
from django.utils import timezone

from rewardshub.audit.actions import EventRows
from rewardshub.audit.models import Outcome
from rewardshub.cards.numbers import USERNAME_PREFIX, luhn_check_digit
from rewardshub.integrations.models import PmsLink, SyncAction, SyncEvent
from rewardshub.integrations.sync import Caller
from rewardshub.patients.actions import DEMOGRAPHIC_FIELDS
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag, Tag
from rewardshub.rows import RowInsert

PROFILE_FIELDS = tuple(
    "location_id" if name == "location" else name for name in DEMOGRAPHIC_FIELDS
)


class Writes:
    """Everything one chunk writes, collected first and saved in a few bulk queries."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.now = timezone.now()
        practice_id = caller.practice.pk
        actor = caller.actor
        self.update_profiles: list[Profile] = []
        self.update_fields: set[str] = set()
        self.drop_tags: list[int] = []
        self.synced_links: list[int] = []
        self.profiles = RowInsert(
            Profile,
            {
                "practice_id": practice_id,
                "kind": ProfileKind.LEAD,
                "created_at": self.now,
                "updated_at": self.now,
            },
            ("public_id", "username", *PROFILE_FIELDS),
        )
        self.links = RowInsert(
            PmsLink,
            {
                "practice_id": practice_id,
                "system": caller.system,
                "created_at": self.now,
                "last_synced_at": self.now,
            },
            ("chart_id", "profile_id"),
        )
        self.tags = RowInsert(
            ProfileTag,
            {"practice_id": practice_id, "created_at": self.now},
            ("profile_id", "tag_id", "exclusive_group_id"),
        )
        # The same values as audit.actions.record_event and sync.sync_rows write.
        self.audits = EventRows(practice_id=practice_id, actor=actor, created_at=self.now)
        self.events = RowInsert(
            SyncEvent,
            {
                "practice_id": practice_id,
                "key_id": caller.key.pk,
                "system": caller.system,
                "action": SyncAction.BATCH,
                "pms_user": caller.pms_user[:100],
                "created_at": self.now,
            },
            ("chart_id", "profile_id", "outcome", "error", "message"),
        )

    def audit(self, profile_id: int, action: str, detail: dict[str, Any]) -> None:
        self.audits.add(profile_id, action, Outcome.OK, detail)

    def log(
        self,
        chart_id: str,
        outcome: str,
        profile_id: int | None,
        message: str,
        error: str = "",
    ) -> None:
        for insert, row in self.log_rows(chart_id, outcome, profile_id, message, error):
            insert.rows.append(row)

    def log_rows(
        self,
        chart_id: str,
        outcome: str,
        profile_id: int | None,
        message: str,
        error: str = "",
    ) -> list[tuple[RowInsert | EventRows, list[Any]]]:
        """The Sync log row and the audit row of one chart (what sync.sync_rows builds)."""
        chart_id = chart_id[:64]
        detail = {
            "system": self.caller.system,
            "chart_id": chart_id,
            "outcome": outcome,
            "error": error,
        }
        return [
            (self.events, self.events.row(chart_id, profile_id, outcome, error, message)),
            (
                self.audits,
                self.audits.row(
                    profile_id,
                    f"pms.{SyncAction.BATCH}",
                    Outcome.FAILED if error else Outcome.OK,
                    detail,
                ),
            ),
        ]

    def insert_logs(self) -> None:
        self.audits.write()
        self.events.write()


def tag_row(writes: Writes, profile_id: int | None, tag: Tag) -> list[Any]:
    return writes.tags.row(profile_id, tag.pk, tag.group_id if tag.group.exclusive else None)


def add_tag_row(writes: Writes, profile_id: int, tag: Tag) -> None:
    writes.tags.rows.append(tag_row(writes, profile_id, tag))


def one_per_group(tags: list[Tag]) -> list[Tag]:
    # Two rules naming tags of one status/location group: the later one wins,
    # as it would with add_tag one after the other.
    chosen: dict[Any, Tag] = {}
    for tag in tags:
        chosen[tag.group_id if tag.group.exclusive else ("tag", tag.pk)] = tag
    return list(chosen.values())


def _new_username() -> str:
    # cards.numbers.new_username's number, drawn in one call instead of eleven.
    body = USERNAME_PREFIX + f"{secrets.randbelow(10**11):011d}"
    return body + luhn_check_digit(body)


def free_usernames(count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        candidates = {_new_username() for _ in range(count - len(names))}
        taken = set(
            Profile.objects.filter(username__in=candidates).values_list("username", flat=True)
        )
        names |= candidates - taken
    return list(names)


def _field_default(name: str) -> Any:
    field = Profile._meta.get_field(name)
    assert isinstance(field, Field)
    return field.get_default()


PROFILE_DEFAULTS = {name: _field_default(name) for name in DEMOGRAPHIC_FIELDS}


def column_value(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def flush(writes: Writes) -> None:
    if writes.update_profiles:
        Profile.objects.bulk_update(
            writes.update_profiles, sorted(writes.update_fields | {"updated_at"})
        )
    if writes.drop_tags:
        ProfileTag.objects.filter(pk__in=writes.drop_tags).delete()
    writes.tags.write()
    if writes.synced_links:
        PmsLink.objects.filter(pk__in=writes.synced_links).update(last_synced_at=writes.now)
    writes.insert_logs()
