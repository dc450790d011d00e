"""Who calls the integration API, what a call answers, and the errors every call shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from rewardshub.audit.actors import Actor
from rewardshub.audit.models import ActorKind
from rewardshub.errors import ActionError
from rewardshub.integrations.systems import not_synced_message, system_name
from rewardshub.patients.models import Profile
from rewardshub.practices.models import IntegrationKey, Practice


@dataclass(frozen=True)
class Caller:
    """Who calls: an integration key (practice + PMS system) and the PMS user, if sent."""

    key: IntegrationKey
    pms_user: str = ""
    source_ip: str | None = None

    @property
    def practice(self) -> Practice:
        return self.key.practice

    @property
    def system(self) -> str:
        return self.key.system

    @property
    def actor(self) -> Actor:
        who = self.pms_user or f"key “{self.key.name}”"
        return Actor(
            kind=ActorKind.INTEGRATION,
            label=f"{system_name(self.system)} ({who})",
            source_ip=self.source_ip,
        )


@dataclass
class SyncResult:
    outcome: str
    profile: Profile
    changed: list[str] = field(default_factory=list)
    token: str | None = None
    # What changed, in words ("Email updated from ... to ..."): patient data.
    changes: list[str] = field(default_factory=list)
    # needs_confirmation: the identity fields that differ, and what to do.
    differences: list[str] = field(default_factory=list)
    message: str = ""


def not_synced(system: str) -> ActionError:
    return ActionError("not_synced", not_synced_message(system), status=404)


def names_required() -> ActionError:
    return ActionError(
        "validation_error",
        "first_name and last_name are required to create a new hub patient: "
        "send the chart's first and last name.",
    )
