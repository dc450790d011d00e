"""Patient log-in: who a card number, username or email names, and the rate limits.

Two limits guard the log-in, both in the shared cache (Redis when configured):
failures per username (5 in 10 minutes lock that username for 10 minutes, even
for the right password) and failures per address (20 in 10 minutes), which
stops someone guessing 4-digit temporary passwords across many cards.

Unknown names and wrong passwords get one message, so the page never confirms
which cards exist. The one exception the practice asked for: a retired card
says that it was replaced, so a family with an old card knows what to do.
A merged profile's username and the cards retired in the merge lead to the
profile kept, whose account they sign in to.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from rewardshub.audit.actions import record_event
from rewardshub.audit.actors import Actor, client_ip
from rewardshub.audit.models import ActorKind, Outcome
from rewardshub.cards.models import MERGE_RETIRED, SET_CARD_RETIRED, Card, CardState
from rewardshub.cards.numbers import CardInputError, parse_card_input
from rewardshub.cards.temp_passwords import check_temp_password
from rewardshub.errors import ActionError
from rewardshub.local_time import format_when
from rewardshub.patients.models import Profile
from rewardshub.portal.models import PortalAccount
from rewardshub.ratelimit import Attempt, FailureLimiter

# Marked for translation here, translated when raised (in the request's language).
BAD_CREDENTIALS = gettext_noop(
    "That card number or password isn’t right. Check them and try again. "
    "Still stuck? Ask the front desk for a new password."
)


def username_limiter() -> FailureLimiter:
    return FailureLimiter(
        scope="portal-login",
        max_failures=settings.PORTAL_LOGIN_MAX_FAILURES,
        window_seconds=settings.PORTAL_LOGIN_WINDOW_SECONDS,
        lockout_seconds=settings.PORTAL_LOCKOUT_SECONDS,
    )


def address_limiter() -> FailureLimiter:
    return FailureLimiter(
        scope="portal-address",
        max_failures=settings.PORTAL_ADDRESS_MAX_FAILURES,
        window_seconds=settings.PORTAL_LOGIN_WINDOW_SECONDS,
        lockout_seconds=settings.PORTAL_LOCKOUT_SECONDS,
    )


def _until(until: float) -> str:
    moment = dt.datetime.fromtimestamp(until, tz=dt.UTC)
    return moment.strftime("%H:%M UTC")


def _minutes(until: float) -> int:
    return max(1, round((until - timezone.now().timestamp()) / 60))


def _how_long(until: float) -> dict[str, object]:
    """ "5 more minutes" and "14:05 UTC", for a lock's message."""
    minutes = _minutes(until)
    time = ngettext("%(minutes)s more minute", "%(minutes)s more minutes", minutes)
    return {"time": time % {"minutes": minutes}, "until": _until(until)}


def username_locked_error(until: float) -> ActionError:
    message = gettext(
        "Too many wrong passwords for this card. Logging in is locked for %(time)s "
        "(until %(until)s). Try again then, or ask the front desk for a new password."
    )
    return ActionError("locked", message % _how_long(until), status=429)


def address_locked_error(until: float) -> ActionError:
    message = gettext(
        "Too many failed log-ins from this network. "
        "Logging in from here is paused for %(time)s (until %(until)s)."
    )
    return ActionError("address_locked", message % _how_long(until), status=429)


@dataclass
class CountedLogin:
    """One log-in attempt, counted under both limits before its password is checked,
    so a burst of parallel guesses cannot all pass the locks before a failure is
    recorded; a right password gives its attempt back (`passed`). Shared by the
    patients' and the guardians' (families.auth) sign-in."""

    from_address: Attempt
    for_name: Attempt

    def passed(self) -> None:
        self.for_name.succeeded(forget=True)
        self.from_address.succeeded()

    def failed(self, name_locked: Callable[[float], ActionError]) -> None:
        """Count a wrong password; raise the lock it brings on, if it brings one."""
        address_until = self.from_address.failed()
        name_until = self.for_name.failed()
        if name_until is not None:
            raise name_locked(name_until)
        if address_until is not None:
            raise address_locked_error(address_until)


def begin_login(
    request: HttpRequest,
    name_key: str,
    *,
    audit: Callable[[str, str], None],
    name_locked: Callable[[float], ActionError],
) -> CountedLogin:
    """Count the attempt from the request's address, then for the name; raise (after
    `audit(outcome, reason)`) if either is locked."""
    from_address = address_limiter().begin(client_ip(request) or "unknown")
    if from_address.locked_until is not None:
        audit(Outcome.DENIED, "address_locked")
        raise address_locked_error(from_address.locked_until)
    for_name = username_limiter().begin(name_key)
    if for_name.locked_until is not None:
        from_address.succeeded()
        audit(Outcome.DENIED, "username_locked")
        raise name_locked(for_name.locked_until)
    return CountedLogin(from_address, for_name)


def _retired_error(card: Card) -> ActionError:
    # cards.queries.retired_error speaks to staff ("the patient's new card").
    when = gettext("an earlier date")
    if card.retired_at:
        with timezone.override(card.practice.time_zone):
            when = format_when(card.retired_at, "date")
    if card.retire_reason == MERGE_RETIRED:
        message = gettext(
            "This card was retired on %(when)s, when two profiles of yours were merged, and "
            "no longer works. Use your other card, or your username."
        )
    elif card.retire_reason == SET_CARD_RETIRED:
        message = gettext(
            "This card was retired on %(when)s before it was ever used and no longer works. "
            "Use your new card and the temporary password printed with it."
        )
    elif card.replaced_by_id is not None:
        message = gettext(
            "This card was replaced on %(when)s and no longer works. Use your new card."
        )
    else:
        message = gettext(
            "This card was retired on %(when)s and no longer works. "
            "Ask the front desk for a new card."
        )
    return ActionError("card_retired", message % {"when": when}, status=409)


@dataclass
class Candidate:
    """Someone the typed name may mean, and where their temporary passwords are."""

    profile: Profile
    account: PortalAccount | None
    via: str  # "username", "card" or "email"
    # The retired card whose number is the username, while the account awaits
    # its first log-in: a wrong password there is most likely that card's.
    retired_card: Card | None = None


@dataclass
class LoginResult:
    profile: Profile
    account: PortalAccount | None
    # True: the password was a temporary one; the patient must confirm and set a password.
    temporary: bool
    # The stored hash the temporary password matched (checked again at activation).
    temp_hash: str = ""


def _account(profile: Profile | None) -> PortalAccount | None:
    # The same query whether or not there is a profile (see check_login).
    return PortalAccount.objects.filter(profile_id=profile.pk if profile else 0).first()


def find_candidates(identifier: str) -> tuple[list[Candidate], Card | None]:
    """Profiles the identifier may name, and a retired card it names (if that is all it is).

    A card number costs the same three queries whether it names a patient, a
    card, both or nothing, so the time to answer tells nothing.
    """
    text = identifier.strip()
    if "@" in text:
        accounts = PortalAccount.objects.filter(
            email=text.lower(), activated_at__isnull=False, profile__merged_into__isnull=True
        ).select_related("profile__practice")
        return [Candidate(a.profile, a, "email") for a in accounts], None
    try:
        number = parse_card_input(text).number
    except CardInputError:
        return [], None
    # The username is the patient's for life, so it wins over a card with that number.
    profile = (
        Profile.objects.filter(username=number)
        .select_related("practice", "merged_into__practice")
        .first()
    )
    if profile is not None and profile.merged_into is not None:
        # A merged profile's username logs in to the profile it was merged into.
        profile = profile.merged_into
    card = (
        Card.objects.filter(number=number).select_related("profile__practice", "practice").first()
    )
    via = "username"
    # A card retired in a merge went to the profile kept, as the merged
    # username leads there: it signs in to that profile's account too.
    merged_card = card is not None and card.retire_reason == MERGE_RETIRED
    if profile is None and card is not None and (card.state == CardState.ACTIVE or merged_card):
        profile, via = card.profile, "card"
    account = _account(profile)
    if profile is not None:
        first_card = (
            card if card is not None and (card.number == profile.username or merged_card) else None
        )
        retired = (
            first_card
            if first_card is not None
            and first_card.state == CardState.RETIRED
            and (account is None or not account.is_active)
            else None
        )
        return [Candidate(profile, account, via, retired)], None
    if card is not None and card.state == CardState.RETIRED:
        return [], card
    return [], None


def temp_password_hashes(profile: Profile | None, account: PortalAccount | None) -> list[str]:
    """The temporary passwords that open this profile's first log-in.

    The card printed with the username and the active card carry one each
    until the account is activated; afterwards only a temporary password staff
    issue (on the account) works, so a lost new card cannot take over an account.
    The cards are read in every case (no profile: none match), for the same work.
    """
    hashes = []
    if account is not None and account.temp_password_hash:
        hashes.append(account.temp_password_hash)
    cards = Card.objects.filter(profile_id=profile.pk if profile else 0).exclude(
        temp_password_hash=""
    )
    if account is None or not account.is_active:
        for card in cards:
            if profile is not None and (
                card.state == CardState.ACTIVE
                or (card.number == profile.username and card.state != CardState.RETIRED)
            ):
                hashes.append(card.temp_password_hash)
    else:
        list(cards)
    return hashes


@functools.cache
def _dummy_hash(hashers: str) -> str:
    # Made with the hasher of the moment (the cache key), so it costs what a real check costs.
    return make_password(secrets.token_urlsafe(16))


def check_dummy_password(password: str) -> None:
    """The work of one password check where there is no one to check against."""
    check_password(password, _dummy_hash(repr(settings.PASSWORD_HASHERS)))


def _password_matches(account: PortalAccount | None, password: str) -> bool:
    """One password-hash check, against the account's hash or, with none, a dummy one."""
    if account is not None and account.is_active:
        return account.check_password(password)
    check_dummy_password(password)
    return False


def _check(candidate: Candidate | None, password: str) -> LoginResult | None:
    """Check a password against a candidate, or against nobody with the same work."""
    account = candidate.account if candidate else None
    profile = candidate.profile if candidate else None
    matched = _password_matches(account, password)
    if candidate is not None and matched:
        return LoginResult(candidate.profile, account, temporary=False)
    if password.isdigit() and len(password) == 4:
        for stored in temp_password_hashes(profile, account):
            if check_temp_password(password, stored) and candidate is not None:
                return LoginResult(candidate.profile, account, temporary=True, temp_hash=stored)
    return None


def portal_actor(request: HttpRequest, label: str) -> Actor:
    return Actor(kind=ActorKind.PATIENT, label=label[:200], source_ip=client_ip(request))


def actor_label(profile: Profile) -> str:
    return f"Patient portal ({profile.username})"


def _audit(request: HttpRequest, candidates: list[Candidate], outcome: str, reason: str) -> None:
    with transaction.atomic():
        if not candidates:
            record_event(
                practice=None,
                actor=portal_actor(request, "Patient portal (unknown)"),
                action="portal.login",
                outcome=outcome,
                detail={"reason": reason},
            )
        for candidate in candidates:
            record_event(
                practice=candidate.profile.practice,
                actor=portal_actor(request, actor_label(candidate.profile)),
                action="portal.login",
                profile=candidate.profile,
                outcome=outcome,
                detail={"via": candidate.via, "reason": reason},
            )


def _limit_key(identifier: str, candidates: list[Candidate]) -> str:
    # Card number and username of one patient share one count.
    if len(candidates) == 1:
        return candidates[0].profile.username
    try:
        return parse_card_input(identifier).number
    except CardInputError:
        return identifier.strip().lower()


def check_login(request: HttpRequest, identifier: str, password: str) -> LoginResult:
    """Check a log-in under both limits; return who it is or raise ActionError."""
    candidates, retired = find_candidates(identifier)

    def audit(outcome: str, reason: str) -> None:
        _audit(request, candidates, outcome, reason)

    login = begin_login(
        request,
        _limit_key(identifier, candidates),
        audit=audit,
        name_locked=username_locked_error,
    )
    if retired is not None:
        # Counts against the address: probing retired numbers is guessing too.
        login.for_name.succeeded()
        login.from_address.failed()
        _audit(request, [], Outcome.FAILED, "card_retired")
        raise _retired_error(retired)
    # An unknown name costs one password check too, against a dummy hash.
    tries: list[Candidate | None] = [*candidates] or [None]
    for candidate in tries:
        result = _check(candidate, password)
        if result is not None:
            login.passed()
            return result
    audit(Outcome.FAILED, "bad_credentials")
    login.failed(username_locked_error)
    if len(candidates) == 1 and candidates[0].retired_card is not None:
        raise _retired_error(candidates[0].retired_card)
    raise ActionError("bad_credentials", gettext(BAD_CREDENTIALS), status=401)


def record_confirm_failure(request: HttpRequest, profile: Profile) -> float | None:
    """A wrong last name at the "Is this you?" step counts as a failed log-in."""
    address_limiter().record_failure(client_ip(request) or "unknown")
    return username_limiter().record_failure(profile.username)
