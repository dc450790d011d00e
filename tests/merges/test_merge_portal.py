"""Portal accounts in a merge.

Only the merged profile has one: it moves (test_merge_action). Both have one:
the profile kept keeps its own, and the merged profile's is closed: its
password no longer signs in, anyone signed in to it is signed out, a reset
link sent to it stops working and its email is free for the account kept.
The merged profile's username and card numbers lead to the kept account's
sign-in. Staff are told before they confirm; the audit says what happened.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from tests.conftest import SYSTEM

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.cards.actions import replace_card
from rewardshub.merges.actions import merge_profiles
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.portal.models import PortalAccount
from rewardshub.portal.reset import account_for_token, make_token
from rewardshub.portal.session import SESSION_PROFILE
from rewardshub.practices.models import Practice

from .conftest import PORTAL_PASSWORD, Pair

pytestmark = pytest.mark.django_db

KEPT_PASSWORD = "rainbow-elastics-7"
BAD_CREDENTIALS = (
    "That card number or password isn’t right. Check them and try again. "
    "Still stuck? Ask the front desk for a new password."
)


@pytest.fixture
def both(pair: Pair) -> Pair:
    """The pair, the profile kept with a portal account of its own."""
    activate_account(
        profile=pair.kept,
        temp_hash=temp_password_hashes(pair.kept, None)[0],
        password=KEPT_PASSWORD,
        email="johnson.family@example.com",
        actor=SYSTEM,
    )
    return pair


def _merge(pair: Pair) -> None:
    merge_profiles(practice=pair.practice, survivor=pair.kept, merged=pair.dupe, actor=SYSTEM)


def _log_in(identifier: str, password: str, client: Client | None = None) -> tuple[Client, int]:
    client = client or Client()
    response = client.post("/portal/login/", {"identifier": identifier, "password": password})
    if response.status_code == 302:
        assert response["Location"] == "/portal/"
        return client, int(client.session[SESSION_PROFILE])
    return client, response.status_code


def _error(identifier: str, password: str) -> tuple[int, str]:
    response = Client().post("/portal/login/", {"identifier": identifier, "password": password})
    return response.status_code, response.context["error"]


class TestBothHaveAnAccount:
    def test_the_merged_account_is_closed_and_the_kept_one_stays(self, both: Pair) -> None:
        _merge(both)
        closed = PortalAccount.objects.get(profile=both.dupe)
        kept = PortalAccount.objects.get(profile=both.kept)
        assert closed.closed_at is not None and not closed.is_active
        assert (closed.password, closed.temp_password_hash, closed.email) == ("", "", "")
        assert kept.closed_at is None and kept.is_active
        assert kept.email == "johnson.family@example.com"

    def test_a_session_on_the_merged_account_ends(self, both: Pair) -> None:
        client, signed_in = _log_in(both.dupe.username, PORTAL_PASSWORD)
        assert signed_in == both.dupe.pk
        assert client.get("/portal/").status_code == 200
        _merge(both)
        response = client.get("/portal/")
        assert response.status_code == 302 and response["Location"] == "/portal/login/"
        assert SESSION_PROFILE not in client.session
        # Signing in again: the merged username leads to the kept account, whose
        # password it takes; the closed account's opens nothing.
        assert _error(both.dupe.username, PORTAL_PASSWORD) == (401, BAD_CREDENTIALS)
        assert _error("emma.johnson@example.com", PORTAL_PASSWORD) == (401, BAD_CREDENTIALS)
        assert _log_in(both.dupe.username, KEPT_PASSWORD, client)[1] == both.kept.pk

    def test_a_reset_link_sent_to_the_merged_account_stops_working(self, both: Pair) -> None:
        token = make_token(PortalAccount.objects.get(profile=both.dupe))
        _merge(both)
        assert account_for_token(token) is None

    def test_its_email_is_free_for_the_kept_account(self, both: Pair) -> None:
        _merge(both)
        kept = PortalAccount.objects.get(profile=both.kept)
        kept.email = "emma.johnson@example.com"
        kept.save(update_fields=["email"])  # the unique email per practice allows it now

    def test_the_audit_says_the_account_was_closed(self, both: Pair) -> None:
        _merge(both)
        merge_event = AuditEvent.objects.get(action="profile.merge")
        assert merge_event.detail["portal_account"] == "closed"
        words = describe_action(merge_event.action, merge_event.outcome, merge_event.detail)
        assert words.endswith(
            "; closed the merged profile's portal account (this profile keeps its own)"
        )
        close = AuditEvent.objects.get(action="portal.close")
        assert (close.profile_id, close.actor_label) == (both.dupe.pk, SYSTEM.label)
        assert close.detail == {"reason": "merged", "into": both.kept.username, "email": True}
        assert describe_action(close.action, close.outcome, close.detail) == (
            f"Closed the portal account: the profile was merged into {both.kept.username}"
        )

    def test_staff_are_told_before_they_confirm(self, both: Pair, owner_client: Client) -> None:
        url = reverse("merges:review", args=[both.kept.public_id, both.dupe.public_id])
        response = owner_client.get(url)
        assert response.status_code == 200
        assert (
            "Both have a portal account: the profile kept keeps its own. The merged profile's "
            "portal account is closed: its password stops working and anyone signed in to it "
            "is signed out. The patient signs in with the kept account's password (the merged "
            "profile's username and cards lead there)."
        ) in response.context["moves"]
        assert PortalAccount.objects.get(profile=both.dupe).is_active
        confirmed = owner_client.post(
            reverse("merges:confirm", args=[both.kept.public_id, both.dupe.public_id]),
            {"confirm": "on"},
            follow=True,
        )
        [message] = [str(m) for m in confirmed.context["messages"]]
        assert message.endswith(
            "The merged profile's portal account was closed: this profile keeps its own."
        )


class TestTheMergedCardNumber:
    """A merged profile's card that is not its username: retired in the merge
    (the profile kept has its own card), it leads to the kept account's sign-in
    as the merged username does."""

    @pytest.fixture
    def card_c(self, pair: Pair, issue_cards: Callable[[Practice, int], list[str]]) -> str:
        number = issue_cards(pair.practice, 1)[0]
        replace_card(practice=pair.practice, profile=pair.dupe, raw=number, actor=SYSTEM)
        return number

    def test_it_signs_in_to_the_account_that_moved(self, pair: Pair, card_c: str) -> None:
        _merge(pair)
        assert _log_in(card_c, PORTAL_PASSWORD)[1] == pair.kept.pk

    def test_it_signs_in_to_the_kept_account(self, both: Pair, card_c: str) -> None:
        _merge(both)
        assert _log_in(card_c, KEPT_PASSWORD)[1] == both.kept.pk
        assert _error(card_c, PORTAL_PASSWORD) == (401, BAD_CREDENTIALS)
