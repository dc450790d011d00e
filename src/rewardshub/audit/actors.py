"""Who is acting: passed as `actor=` to every action and written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from rewardshub.audit.models import ActorKind


@dataclass(frozen=True)
class Actor:
    kind: str
    label: str
    user_id: int | None = None
    source_ip: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the proxy's address behind a reverse proxy; a deployment
    # that sets one up configures the proxy to pass the client as REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None
