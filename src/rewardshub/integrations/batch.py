"""Batch sync: upsert up to 1,000 charts' demographics in one call (onboarding, nightly).

A linked chart updates its profile; an unlinked chart gets a new lead profile
(generated username, no card) linked to it. Charts are handled in chunks, each
one transaction with a constant number of queries (bulk reads and writes), so
a batch costs tens of queries, not thousands. The rows written are the same
as the one-chart actions write (profile, tags, link, audit, Sync log).

Correctness first: if a chunk meets a concurrent change (a unique constraint
fails), it is rolled back and redone chart by chart through the one-chart
path, each chart in its own savepoint with its own outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.models import AuditEvent
from rewardshub.cards.numbers import new_username
from rewardshub.errors import ActionError
from rewardshub.integrations.models import PmsLink, SyncAction, SyncEvent, SyncOutcome
from rewardshub.integrations.sync import (
    Caller,
    chart_link,
    create_linked_profile,
    names_required,
    record_failure,
    record_sync,
    sync_fields,
    sync_rows,
)
from rewardshub.integrations.tagging import Mapped, TagMapping, load_mapping
from rewardshub.patients.actions import DEMOGRAPHIC_FIELDS
from rewardshub.patients.models import Profile, ProfileKind, ProfileTag, Tag

CHUNK = 500


@dataclass
class BatchItem:
    chart_id: str
    data: dict[str, Any] = field(default_factory=dict)
    pms_status: str | None = None
    office: str | None = None
    # Set when the row was refused before any work (invalid, duplicate).
    error: ActionError | None = None


@dataclass
class ItemResult:
    chart_id: str
    outcome: str
    profile: Profile | None = None
    error: ActionError | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"chart_id": self.chart_id, "outcome": self.outcome}
        if self.profile is not None:
            body["username"] = self.profile.username
            body["profile_id"] = str(self.profile.public_id)
        if self.error is not None:
            body["error"] = self.error.code
            body["message"] = self.error.message
        return body


def sync_batch(*, caller: Caller, items: list[BatchItem]) -> list[ItemResult]:
    mapping = load_mapping(caller.practice, caller.system)
    results: dict[int, ItemResult] = {}
    refused = [(i, item) for i, item in enumerate(items) if item.error is not None]
    if refused:
        _record_refused(caller, refused, results)
    todo = [(i, item) for i, item in enumerate(items) if item.error is None]
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        try:
            with transaction.atomic():
                results.update(_bulk_chunk(caller, chunk, mapping))
        except IntegrityError:
            for index, item in chunk:
                results[index] = _one(caller, item, mapping)
    return [results[i] for i in range(len(items))]


def _record_refused(
    caller: Caller, refused: list[tuple[int, BatchItem]], results: dict[int, ItemResult]
) -> None:
    events: list[SyncEvent] = []
    audits: list[AuditEvent] = []
    for index, item in refused:
        assert item.error is not None
        results[index] = ItemResult(item.chart_id, SyncOutcome.ERROR, error=item.error)
        event, audit = sync_rows(
            caller,
            item.chart_id,
            SyncAction.BATCH,
            SyncOutcome.ERROR,
            None,
            item.error.message,
            item.error.code,
        )
        events.append(event)
        audits.append(audit)
    with transaction.atomic():
        SyncEvent.objects.bulk_create(events)
        AuditEvent.objects.bulk_create(audits)


def _one(caller: Caller, item: BatchItem, mapping: TagMapping) -> ItemResult:
    """The one-chart path: same outcome as the bulk path, one chart at a time."""
    mapped = mapping.apply_to(item.pms_status, item.office)
    try:
        with transaction.atomic():
            link = chart_link(caller, item.chart_id, for_update=True)
            if link is None:
                profile = create_linked_profile(
                    caller, item.chart_id, item.data, mapped, username=None, kind=ProfileKind.LEAD
                )
                outcome, changed = SyncOutcome.CREATED, []
            else:
                profile = link.profile
                changed = sync_fields(caller, profile, item.data, mapped)
                link.last_synced_at = timezone.now()
                link.save(update_fields=["last_synced_at"])
                outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
            message = _message(outcome, profile, changed, mapped)
            record_sync(caller, item.chart_id, SyncAction.BATCH, outcome, profile, message)
            return ItemResult(item.chart_id, outcome, profile)
    except ActionError as exc:
        record_failure(caller, item.chart_id, SyncAction.BATCH, exc)
        return ItemResult(item.chart_id, SyncOutcome.ERROR, error=exc)


def _message(outcome: str, profile: Profile, changed: list[str], mapped: Mapped) -> str:
    if outcome == SyncOutcome.CREATED:
        parts = [f"Created lead {profile.username} and synced the chart with it."]
    elif changed:
        parts = ["Changed: " + ", ".join(changed) + "."]
    else:
        parts = ["Nothing changed."]
    return " ".join(parts + mapped.notes)


def _same(a: Any, b: Any) -> bool:
    norm = [v.isoformat() if isinstance(v, dt.date) else v for v in (a, b)]
    return norm[0] == norm[1]


@dataclass
class _Writes:
    """Everything one chunk writes, collected first and saved in a few bulk queries."""

    now: dt.datetime
    update_profiles: list[Profile] = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    new_profiles: list[tuple[int, BatchItem, Profile, Mapped]] = field(default_factory=list)
    drop_tags: list[int] = field(default_factory=list)
    add_tags: list[tuple[Profile, Tag]] = field(default_factory=list)
    synced_links: list[int] = field(default_factory=list)
    audits: list[AuditEvent] = field(default_factory=list)
    events: list[SyncEvent] = field(default_factory=list)


def _bulk_chunk(
    caller: Caller, chunk: list[tuple[int, BatchItem]], mapping: TagMapping
) -> dict[int, ItemResult]:
    practice = caller.practice
    writes = _Writes(now=timezone.now())
    links = {
        link.chart_id: link
        for link in PmsLink.objects.filter(
            practice=practice,
            system=caller.system,
            chart_id__in=[item.chart_id for _, item in chunk],
        )
    }
    # Locked so a staff edit cannot land between our read and our bulk write.
    profiles = Profile.objects.select_for_update().in_bulk(
        [link.profile_id for link in links.values()]
    )
    current_tags: dict[int, dict[int, ProfileTag]] = {}
    for row in ProfileTag.objects.filter(profile_id__in=list(profiles)).select_related("tag"):
        current_tags.setdefault(row.profile_id, {})[row.tag_id] = row

    results: dict[int, ItemResult] = {}
    for index, item in chunk:
        mapped = mapping.apply_to(item.pms_status, item.office)
        link = links.get(item.chart_id)
        if link is None:
            if not item.data.get("first_name") or not item.data.get("last_name"):
                error = names_required()
                results[index] = ItemResult(item.chart_id, SyncOutcome.ERROR, error=error)
                _log(
                    writes,
                    caller,
                    item.chart_id,
                    SyncOutcome.ERROR,
                    None,
                    error.message,
                    error.code,
                )
                continue
            profile = _new_lead(caller, item, mapped)
            writes.new_profiles.append((index, item, profile, mapped))
            continue
        profile = profiles[link.profile_id]
        changed = _diff_profile(caller, profile, item, mapped, writes)
        if _diff_tags(caller, profile, mapped, current_tags.get(profile.pk, {}), writes):
            changed.append("tags")
        writes.synced_links.append(link.pk)
        outcome = SyncOutcome.UPDATED if changed else SyncOutcome.UNCHANGED
        results[index] = ItemResult(item.chart_id, outcome, profile)
        _log(
            writes,
            caller,
            item.chart_id,
            outcome,
            profile,
            _message(outcome, profile, changed, mapped),
        )

    _save_new(caller, writes, results)
    _flush(writes)
    return results


def _log(
    writes: _Writes,
    caller: Caller,
    chart_id: str,
    outcome: str,
    profile: Profile | None,
    message: str,
    error: str = "",
) -> None:
    event, audit = sync_rows(caller, chart_id, SyncAction.BATCH, outcome, profile, message, error)
    writes.events.append(event)
    writes.audits.append(audit)


def _audit(caller: Caller, profile: Profile, action: str, detail: dict[str, Any]) -> AuditEvent:
    actor = caller.actor
    return AuditEvent(
        practice=caller.practice,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        profile=profile,
        action=action,
        detail=detail,
        source_ip=actor.source_ip,
    )


def _diff_profile(
    caller: Caller, profile: Profile, item: BatchItem, mapped: Mapped, writes: _Writes
) -> list[str]:
    data = dict(item.data)
    if mapped.location is not None:
        data["location"] = mapped.location
    changed = []
    for name in DEMOGRAPHIC_FIELDS:
        if name == "location" and "location" in data:
            if profile.location_id != data["location"].pk:
                profile.location = data["location"]
                changed.append(name)
        elif name in data and not _same(getattr(profile, name), data[name]):
            setattr(profile, name, data[name])
            changed.append(name)
    if changed:
        profile.updated_at = writes.now
        writes.update_profiles.append(profile)
        writes.update_fields.update(changed)
        writes.audits.append(_audit(caller, profile, "profile.update", {"fields": list(changed)}))
    return changed


def _diff_tags(
    caller: Caller, profile: Profile, mapped: Mapped, have: dict[int, ProfileTag], writes: _Writes
) -> bool:
    added: list[str] = []
    removed: list[str] = []
    for tag in _one_per_group(mapped.tags):
        if tag.pk in have:
            continue
        if tag.group.exclusive:
            for row in have.values():
                if row.exclusive_group_id == tag.group_id:
                    writes.drop_tags.append(row.pk)
                    removed.append(row.tag.name)
        writes.add_tags.append((profile, tag))
        added.append(tag.name)
    if added:
        writes.audits.append(
            _audit(
                caller, profile, "profile.tag", {"added": sorted(added), "removed": sorted(removed)}
            )
        )
    return bool(added)


def _one_per_group(tags: list[Tag]) -> list[Tag]:
    # Two rules naming tags of one status/location group: the later one wins,
    # as it would with add_tag one after the other.
    chosen: dict[Any, Tag] = {}
    for tag in tags:
        chosen[tag.group_id if tag.group.exclusive else ("tag", tag.pk)] = tag
    return list(chosen.values())


def _new_lead(caller: Caller, item: BatchItem, mapped: Mapped) -> Profile:
    fields = {name: item.data[name] for name in DEMOGRAPHIC_FIELDS if name in item.data}
    if mapped.location is not None:
        fields["location"] = mapped.location
    return Profile(practice=caller.practice, kind=ProfileKind.LEAD, username="", **fields)


def _free_usernames(count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        candidates = {new_username() for _ in range(count - len(names))}
        taken = set(
            Profile.objects.filter(username__in=candidates).values_list("username", flat=True)
        )
        names |= candidates - taken
    return list(names)


def _save_new(caller: Caller, writes: _Writes, results: dict[int, ItemResult]) -> None:
    if not writes.new_profiles:
        return
    for (_, _, profile, _), username in zip(
        writes.new_profiles, _free_usernames(len(writes.new_profiles)), strict=True
    ):
        profile.username = username
    Profile.objects.bulk_create([p for _, _, p, _ in writes.new_profiles])
    # Not every SQLite build returns ids from a bulk insert: read them back.
    ids = dict(
        Profile.objects.filter(
            username__in=[p.username for _, _, p, _ in writes.new_profiles]
        ).values_list("username", "pk")
    )
    new_links = []
    for index, item, profile, mapped in writes.new_profiles:
        profile.pk = ids[profile.username]
        tags = _one_per_group(mapped.tags)
        writes.add_tags.extend((profile, tag) for tag in tags)
        writes.audits.append(
            _audit(
                caller,
                profile,
                "profile.create",
                {
                    "fields": sorted(k for k, v in item.data.items() if v not in ("", None)),
                    "card_last4": None,
                    "tags": [tag.name for tag in tags],
                },
            )
        )
        new_links.append(
            PmsLink(
                practice=caller.practice,
                system=caller.system,
                chart_id=item.chart_id,
                profile=profile,
                last_synced_at=writes.now,
            )
        )
        results[index] = ItemResult(item.chart_id, SyncOutcome.CREATED, profile)
        _log(
            writes,
            caller,
            item.chart_id,
            SyncOutcome.CREATED,
            profile,
            _message(SyncOutcome.CREATED, profile, [], mapped),
        )
    PmsLink.objects.bulk_create(new_links)


def _flush(writes: _Writes) -> None:
    if writes.update_profiles:
        Profile.objects.bulk_update(
            writes.update_profiles, sorted(writes.update_fields | {"updated_at"})
        )
    if writes.drop_tags:
        ProfileTag.objects.filter(pk__in=writes.drop_tags).delete()
    if writes.add_tags:
        ProfileTag.objects.bulk_create(
            [
                ProfileTag(
                    practice_id=profile.practice_id,
                    profile=profile,
                    tag=tag,
                    exclusive_group_id=tag.group_id if tag.group.exclusive else None,
                )
                for profile, tag in writes.add_tags
            ]
        )
    if writes.synced_links:
        PmsLink.objects.filter(pk__in=writes.synced_links).update(last_synced_at=writes.now)
    AuditEvent.objects.bulk_create(writes.audits)
    SyncEvent.objects.bulk_create(writes.events)
