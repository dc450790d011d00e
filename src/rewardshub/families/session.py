"""A guardian's portal session, and the child it acts for.

Signing in flushes the session (no patient's or staff member's sign-in stays
in that browser) and keeps the guardian's id, practice and a fingerprint of
the password hash. The chosen child is kept in the session by public id,
never in a URL. Every request checks again that the guardian is verified
and the link to that child is still confirmed, so removing a link takes
effect on the next page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from rewardshub.families.auth import guardian_actor
from rewardshub.families.models import Guardian
from rewardshub.families.queries import children
from rewardshub.patients.models import Profile
from rewardshub.portal.session import PortalUser

# Also read by practices.idle (automatic logoff of portal sessions).
SESSION_GUARDIAN = "portal_guardian_id"
SESSION_PRACTICE = "portal_guardian_practice"
SESSION_AUTH = "portal_guardian_auth"
SESSION_CHILD = "portal_guardian_child"


def _fingerprint(guardian: Guardian) -> str:
    return salted_hmac("rewardshub.families.auth", guardian.password).hexdigest()


@dataclass
class Family:
    """What the portal's pages show a guardian: who they are, their children, the one chosen."""

    guardian: Guardian
    children: list[Profile]
    current: Profile | None = None


def log_in(request: HttpRequest, guardian: Guardian) -> None:
    request.session.flush()
    request.session.cycle_key()
    request.session[SESSION_GUARDIAN] = guardian.pk
    request.session[SESSION_PRACTICE] = guardian.practice_id
    request.session[SESSION_AUTH] = _fingerprint(guardian)


def signed_in_guardian(request: HttpRequest) -> Guardian | None:
    guardian_id = request.session.get(SESSION_GUARDIAN)
    practice_id = request.session.get(SESSION_PRACTICE)
    if not isinstance(guardian_id, int) or not isinstance(practice_id, int):
        return None
    guardian = (
        Guardian.objects.filter(pk=guardian_id, practice_id=practice_id)
        .select_related("practice")
        .first()
    )
    if guardian is None or not guardian.can_sign_in:
        return None
    if not constant_time_compare(
        str(request.session.get(SESSION_AUTH, "")), _fingerprint(guardian)
    ):
        return None
    return guardian


def family_of(request: HttpRequest, guardian: Guardian) -> Family:
    """The guardian's children now, and the chosen one while its link stands."""
    found = children(guardian)
    chosen = request.session.get(SESSION_CHILD)
    current = next((c for c in found if c.public_id.hex == chosen), None)
    if chosen is not None and current is None:
        # The link was removed (or the child merged): choose again.
        del request.session[SESSION_CHILD]
    return Family(guardian=guardian, children=found, current=current)


def choose(request: HttpRequest, child: Profile) -> None:
    request.session[SESSION_CHILD] = child.public_id.hex


def acting_user(request: HttpRequest) -> PortalUser | None:
    """The portal's principal for a guardian acting for the chosen child (portal.session)."""
    guardian = signed_in_guardian(request)
    if guardian is None:
        return None
    family = family_of(request, guardian)
    if family.current is None:
        return None
    actor = guardian_actor(request, guardian)
    return PortalUser(profile=family.current, account=None, actor=actor, guardian=family)


def landing(request: HttpRequest) -> str | None:
    """A signed-in guardian who chose no child (or lost the link) picks one."""
    if signed_in_guardian(request) is None:
        return None
    return reverse("portal_family:choose")
