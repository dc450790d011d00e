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
    # Behind a proxy listed in REWARDSHUB_TRUSTED_PROXIES, proxy.py has put the
    # client's address (from X-Forwarded-For) here; otherwise it is the connection's.
    return request.META.get("REMOTE_ADDR") or None
