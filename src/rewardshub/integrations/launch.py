"""One-time launch links from the PMS into the hub's browser pages.

The token is the only thing in the URL: 32 random bytes, stored as a sha256
(like integration keys: a random secret needs no slow hash). It works once,
within settings.LAUNCH_TOKEN_SECONDS; using it is one conditional UPDATE, so
two tabs opening the same link cannot both get in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rewardshub.integrations.caller import Caller
from rewardshub.integrations.models import LaunchToken, PendingLink
from rewardshub.patients.models import Profile
from rewardshub.practices.models import IntegrationKey, Practice

MAX_TOKEN_LENGTH = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    *,
    practice: Practice,
    key: IntegrationKey | None,
    system: str,
    chart_id: str,
    profile: Profile,
    view: str,
    pms_user: str = "",
    confirmation: PendingLink | None = None,
    notice: list[str] | None = None,
) -> str:
    """Store a new launch token and return it (the only time it exists in clear)."""
    token = secrets.token_urlsafe(32)
    LaunchToken.objects.create(
        token_hash=_hash(token),
        practice=practice,
        key=key,
        system=system,
        chart_id=chart_id,
        profile=profile,
        view=view,
        pms_user=pms_user,
        confirmation=confirmation,
        notice=notice or [],
        expires_at=timezone.now() + dt.timedelta(seconds=settings.LAUNCH_TOKEN_SECONDS),
    )
    return token


def caller_token(caller: Caller, chart_id: str, profile: Profile, view: str, **extra: Any) -> str:
    """A launch token for a PMS call's chart: its practice, key, system and PMS user."""
    return create_token(
        practice=caller.practice,
        key=caller.key,
        system=caller.system,
        chart_id=chart_id,
        profile=profile,
        view=view,
        pms_user=caller.pms_user,
        **extra,
    )


@dataclass(frozen=True)
class Consumed:
    """`token` is set when this request won the token; `spent` when it exists but was
    used or expired (its practice still decides who may frame the error page)."""

    token: LaunchToken | None
    spent: LaunchToken | None = None


def consume_token(token: str) -> Consumed:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return Consumed(token=None)
    token_hash = _hash(token)
    now = timezone.now()
    with transaction.atomic():
        won = LaunchToken.objects.filter(
            token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        row = (
            LaunchToken.objects.select_related("practice", "profile", "key", "confirmation")
            .filter(token_hash=token_hash)
            .first()
        )
        if won == 1 and row is not None and row.notice:
            # The notice (patient data) goes to this window only; the row keeps none.
            LaunchToken.objects.filter(pk=row.pk).update(notice=[])
    if won == 1 and row is not None:
        return Consumed(token=row)
    return Consumed(token=None, spent=row)


def prune_tokens(older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete long-expired tokens (they can never be used again); returns how many."""
    deleted, _ = LaunchToken.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted
