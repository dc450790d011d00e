"""Which browser session a spent launch link opens its profile in.

A launch respects who is signed in:
- no session, or a session the PMS opened: a new PMS session (the rewards
  role, acting as "<PMS user> via <PMS>");
- staff signed in to the launched practice with a role that opens profiles:
  the profile opens in that session (nothing about it changes);
- staff of that practice whose role cannot open profiles (financial), or staff
  signed in to another practice: nothing changes; the launch is held in the
  session for a few minutes and a page asks what to do. Continuing as the PMS
  user starts the PMS session then, without a second launch from the PMS
  (staff who also work for the launched practice switch to it instead).

The audit event names the PMS user in every case, and the staff session when
the profile opened in one.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import ActorKind
from rewardshub.integrations.framing import SESSION_FRAME
from rewardshub.integrations.models import LaunchToken, LaunchView
from rewardshub.integrations.systems import system_name
from rewardshub.patients.models import Profile
from rewardshub.practices.context import SESSION_LAUNCH, HubContext, switch_practice
from rewardshub.practices.idle import SESSION_SEEN
from rewardshub.practices.models import PATIENT_ROLES, Membership, Practice

SESSION_PENDING = "launch_pending"
# How long a held launch waits for an answer (the link itself lives a minute).
PENDING_SECONDS = 5 * 60


class Fit(enum.Enum):
    NEW_SESSION = "new_session"
    OPEN_HERE = "open_here"
    ROLE_CANNOT = "role_cannot"
    OTHER_PRACTICE = "other_practice"


@dataclass(frozen=True)
class Launch:
    """A won launch token, as plain values that can wait in the session."""

    practice: Practice
    profile: Profile
    actor: str
    system: str
    key_id: int | None
    view: str
    chart_id: str
    # The link confirmation a CONFIRM window opens (its opaque id), else "".
    confirmation: str = ""

    @classmethod
    def from_token(cls, token: LaunchToken) -> Launch:
        name = system_name(token.system)
        return cls(
            practice=token.practice,
            profile=token.profile,
            actor=f"{token.pms_user} via {name}" if token.pms_user else name,
            system=token.system,
            key_id=token.key_id,
            view=token.view,
            chart_id=token.chart_id,
            confirmation=str(token.confirmation.public_id) if token.confirmation else "",
        )

    def to_session(self) -> dict[str, Any]:
        return {
            "practice_id": self.practice.pk,
            "profile_id": self.profile.pk,
            "actor": self.actor,
            "system": self.system,
            "key_id": self.key_id,
            "view": self.view,
            "chart_id": self.chart_id,
            "confirmation": self.confirmation,
            "expires": time.time() + PENDING_SECONDS,
        }

    @classmethod
    def from_session(cls, data: Any) -> Launch | None:
        if not isinstance(data, dict) or not isinstance(data.get("expires"), int | float):
            return None
        profile_id, practice_id = data.get("profile_id"), data.get("practice_id")
        if data["expires"] < time.time() or not isinstance(profile_id, int):
            return None
        if not isinstance(practice_id, int):
            return None
        profile = (
            Profile.objects.select_related("practice")
            .filter(pk=profile_id, practice_id=practice_id)
            .first()
        )
        if profile is None:
            return None
        return cls(
            practice=profile.practice,
            profile=profile,
            actor=str(data.get("actor", "")),
            system=str(data.get("system", "")),
            key_id=data.get("key_id"),
            view=str(data.get("view", LaunchView.PROFILE)),
            chart_id=str(data.get("chart_id", "")),
            confirmation=str(data.get("confirmation", "")),
        )


def fit(hub: HubContext | None, launch: Launch) -> Fit:
    """Where this launch goes, given the browser's current session."""
    if hub is None or hub.launched:
        # A PMS session is the PMS's own: the newer launch replaces it.
        return Fit.NEW_SESSION
    if hub.practice.pk != launch.practice.pk:
        return Fit.OTHER_PRACTICE
    if hub.role not in PATIENT_ROLES:
        return Fit.ROLE_CANNOT
    return Fit.OPEN_HERE


def own_membership(hub: HubContext, launch: Launch) -> Membership | None:
    """The signed-in staff member's own membership of the launched practice, when it
    opens profiles: "Open <practice>" then switches practice instead of signing out."""
    return next(
        (
            m
            for m in hub.memberships
            if m.practice_id == launch.practice.pk and m.role in PATIENT_ROLES
        ),
        None,
    )


def switch_and_open(request: HttpRequest, launch: Launch, membership: Membership) -> None:
    """Switch the staff session to the launched practice (a new session key), then open."""
    drop(request)
    switch_practice(request, membership.practice)
    request.session.cycle_key()
    rotate_token(request)
    open_here(request, launch)


def hold(request: HttpRequest, launch: Launch) -> None:
    request.session[SESSION_PENDING] = launch.to_session()


def held(request: HttpRequest) -> Launch | None:
    """The launch waiting for an answer; an expired one is dropped."""
    launch = Launch.from_session(request.session.get(SESSION_PENDING))
    if launch is None:
        request.session.pop(SESSION_PENDING, None)
    return launch


def drop(request: HttpRequest) -> None:
    request.session.pop(SESSION_PENDING, None)


def start_pms_session(request: HttpRequest, launch: Launch) -> None:
    """End whatever session this browser had and act as the PMS user, with a new key."""
    request.session.flush()
    rotate_token(request)
    request.session[SESSION_LAUNCH] = {
        "practice_id": launch.practice.pk,
        "actor": launch.actor,
        "system": launch.system,
        "key_id": launch.key_id,
        "view": launch.view,
        "frame_ancestors": launch.practice.frame_ancestors
        if launch.view == LaunchView.CHART
        else "",
    }
    # The idle clock starts now, like a sign-in's.
    request.session[SESSION_SEEN] = int(time.time())
    request._hub_cache = None  # type: ignore[attr-defined]


def open_here(request: HttpRequest, launch: Launch) -> None:
    """The profile opens in the staff session as it is. A chart-tab launch lets the
    practice's origins frame the session's pages (the card forms opened in the tab)."""
    if launch.view == LaunchView.CHART and launch.practice.frame_ancestors:
        request.session[SESSION_FRAME] = launch.practice.frame_ancestors


def record_open(request: HttpRequest, launch: Launch, staff: HubContext | None = None) -> None:
    """The audit event of an opened launch: the PMS user acts; `staff` is the session it
    opened in (None: a new PMS session)."""
    detail: dict[str, Any] = {
        "system": launch.system,
        "chart_id": launch.chart_id,
        "view": launch.view,
    }
    if staff is None:
        detail["session"] = "pms"
    else:
        detail["session"] = "staff"
        detail["staff_user"] = staff.actor.label
        detail["staff_role"] = staff.role
    actor = Actor(kind=ActorKind.INTEGRATION, label=launch.actor, source_ip=client_ip(request))
    with transaction.atomic():
        record_event(
            practice=launch.practice,
            actor=actor,
            action="pms.launch_open",
            profile=launch.profile,
            detail=detail,
        )
