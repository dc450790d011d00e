"""Integration settings: keys, the PMS tag mapping, the chart tab's allowed origins.

One transaction each, taking `actor=` and writing an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor
from rewardshub.errors import ActionError
from rewardshub.integrations.keys import new_token
from rewardshub.integrations.models import TagRule, TagRuleField
from rewardshub.integrations.tagging import FIELD_WORDS
from rewardshub.patients.models import Tag
from rewardshub.practices.models import IntegrationKey, Practice


@dataclass(frozen=True)
class CreatedKey:
    key: IntegrationKey
    # The whole token: shown once, never stored.
    token: str


def create_key(*, practice: Practice, name: str, system: str, actor: Actor) -> CreatedKey:
    made = new_token()
    with transaction.atomic():
        key = IntegrationKey.objects.create(
            practice=practice,
            name=name,
            system=system,
            prefix=made.prefix,
            secret_hash=made.token_hash,
            created_by_id=actor.user_id,
        )
        record_event(
            practice=practice,
            actor=actor,
            action="integration_key.create",
            detail={"name": name, "system": system, "prefix": made.prefix},
        )
    return CreatedKey(key=key, token=made.token)


def revoke_key(*, practice: Practice, key: IntegrationKey, actor: Actor) -> IntegrationKey:
    with transaction.atomic():
        key = IntegrationKey.objects.select_for_update().get(pk=key.pk, practice=practice)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            record_event(
                practice=practice,
                actor=actor,
                action="integration_key.revoke",
                detail={"name": key.name, "system": key.system, "prefix": key.prefix},
            )
    return key


def add_tag_rule(
    *, practice: Practice, system: str, field: str, value: str, tag: Tag, actor: Actor
) -> TagRule:
    if tag.practice_id != practice.pk:
        raise ActionError("not_found", "That tag does not exist.", status=404)
    value = value.strip()
    try:
        with transaction.atomic():
            rule = TagRule.objects.create(
                practice=practice, system=system, field=field, value=value, tag=tag
            )
            record_event(
                practice=practice,
                actor=actor,
                action="tag_rule.create",
                detail={"system": system, "field": field, "value": value, "tag": tag.name},
            )
    except IntegrityError:
        raise ActionError(
            "tag_rule_exists",
            f"The {FIELD_WORDS[TagRuleField(field)]} “{value}” already has a tag. "
            "Delete that mapping first to map it to another tag.",
            status=409,
        ) from None
    return rule


def delete_tag_rule(*, practice: Practice, rule: TagRule, actor: Actor) -> None:
    with transaction.atomic():
        deleted, _ = TagRule.objects.filter(pk=rule.pk, practice=practice).delete()
        if deleted:
            record_event(
                practice=practice,
                actor=actor,
                action="tag_rule.delete",
                detail={
                    "system": rule.system,
                    "field": rule.field,
                    "value": rule.value,
                    "tag": rule.tag.name,
                },
            )


def set_frame_ancestors(*, practice: Practice, origins: list[str], actor: Actor) -> None:
    """Store the origins allowed to frame the chart view (already validated)."""
    stored = " ".join(origins)
    with transaction.atomic():
        before = Practice.objects.select_for_update().get(pk=practice.pk).frame_ancestors
        if before == stored:
            return
        Practice.objects.filter(pk=practice.pk).update(frame_ancestors=stored)
        practice.frame_ancestors = stored
        record_event(
            practice=practice,
            actor=actor,
            action="practice.frame_ancestors",
            detail={"before": before.split(), "after": origins},
        )
