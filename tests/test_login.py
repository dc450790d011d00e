"""Staff sign-in through the /login/ page: success, wrong password, lockout, audit rows."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from tests.conftest import PASSWORD
from tests.work_count import hash_calls, query_shape

from rewardshub.audit.models import AuditEvent, Outcome
from rewardshub.practices.auth import staff_limiter
from rewardshub.practices.models import Practice

__all__ = ["hash_calls"]  # the fixture, used by name below
URL = "/login/"
WRONG = (
    "That username and password do not match. Check them and try again "
    "(after 5 failed tries the username is locked for 10 minutes)."
)


def _locked_message(username: str) -> str:
    until = staff_limiter().locked_until(username)
    assert until is not None
    at = timezone.localtime(dt.datetime.fromtimestamp(until, tz=dt.UTC)).strftime("%H:%M")
    return (
        "Too many failed sign-ins for this username. Sign-in is locked for 10 more minutes "
        f"(until {at} UTC). Try again then, or ask the practice owner to reset your password."
    )


def _fail(client: Client, username: str = "owner", times: int = 1) -> Any:
    response = None
    for _ in range(times):
        response = client.post(URL, {"username": username, "password": "not-the-password"})
    return response


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_it_signs_in_and_goes_to_the_start_page(
    client: Client, owner: Any, acworth: Practice
) -> None:
    response = client.post(URL, {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in(client)
    event = AuditEvent.objects.get(action="login")
    assert (event.practice, event.actor_user, event.outcome, event.source_ip) == (
        acworth,
        owner,
        Outcome.OK,
        "127.0.0.1",
    )


def test_it_follows_a_safe_next_address_only(client: Client, owner: Any) -> None:
    response = client.post(URL + "?next=/settings/", {"username": "owner", "password": PASSWORD})
    assert response["Location"] == "/settings/"
    client.logout()
    response = client.post(
        URL, {"username": "owner", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_it_says_when_the_password_is_wrong(client: Client, owner: Any, acworth: Practice) -> None:
    response = _fail(client)
    assert response.status_code == 401
    assert response.context["error"] == WRONG
    assert WRONG in response.content.decode()
    assert not _signed_in(client)
    event = AuditEvent.objects.get(action="login")
    assert (event.practice, event.actor_user, event.actor_label, event.outcome) == (
        acworth,
        None,
        "owner",
        Outcome.FAILED,
    )


def test_it_gives_an_unknown_username_the_same_answer(client: Client, acworth: Any) -> None:
    response = _fail(client, username="nobody")
    assert (response.status_code, response.context["error"]) == (401, WRONG)
    event = AuditEvent.objects.get(action="login")
    assert (event.practice, event.actor_label, event.outcome) == (None, "nobody", Outcome.FAILED)


def test_it_locks_the_username_after_five_failures_for_ten_minutes(
    client: Client, owner: Any
) -> None:
    for _ in range(4):
        assert _fail(client).status_code == 401
    response = _fail(client)
    assert response.status_code == 429
    assert response.context["error"] == _locked_message("owner")
    until = staff_limiter().locked_until("owner")
    assert until is not None and 590 <= until - time.time() <= 600
    assert AuditEvent.objects.filter(action="login", outcome=Outcome.FAILED).count() == 5


def test_it_refuses_even_the_right_password_while_locked(client: Client, owner: Any) -> None:
    _fail(client, times=5)
    response = client.post(URL, {"username": "owner", "password": PASSWORD})
    assert response.status_code == 429
    assert response.context["error"] == _locked_message("owner")
    assert not _signed_in(client)
    denied = AuditEvent.objects.get(action="login", outcome=Outcome.DENIED)
    assert denied.actor_label == "owner"


def test_it_lets_the_username_in_again_after_ten_minutes(
    client: Client, owner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail(client, times=5)
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(URL, {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in(client)


def test_it_locks_only_the_username_that_failed(client: Client, owner: Any, frontdesk: Any) -> None:
    _fail(client, times=5)
    response = client.post(URL, {"username": "frontdesk", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in(client)
    # The username that failed stays locked, even with its right password.
    other = Client()
    response = other.post(URL, {"username": "owner", "password": PASSWORD})
    assert response.status_code == 429
    assert response.context["error"] == _locked_message("owner")
    assert not _signed_in(other)


def test_it_forgets_failures_after_a_good_sign_in(client: Client, owner: Any) -> None:
    _fail(client, times=4)
    assert client.post(URL, {"username": "owner", "password": PASSWORD}).status_code == 302
    client.logout()
    _fail(client, times=4)
    assert client.post(URL, {"username": "owner", "password": PASSWORD}).status_code == 302


def test_it_signs_out_by_post_only(owner_client: Client) -> None:
    assert owner_client.get("/logout/").status_code == 405
    response = owner_client.post("/logout/")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert not _signed_in(owner_client)


def test_a_known_and_an_unknown_username_cost_the_same(
    owner: Any, frontdesk: Any, hash_calls: list[str]
) -> None:
    # The time to refuse must not tell which usernames exist, so neither may
    # the work: one password hash either way (Django hashes the password for a
    # username it does not find) and the same queries.
    def work(username: str, address: str) -> tuple[list[str], list[str]]:
        client = Client(REMOTE_ADDR=address)
        del hash_calls[:]
        with CaptureQueriesContext(connection) as queries:
            assert _fail(client, username=username).status_code == 401
        return list(hash_calls), [query_shape(q["sql"]) for q in queries.captured_queries]

    work("warm-up", "10.8.0.1")
    known = work("frontdesk", "10.8.0.2")
    unknown = work("nobody", "10.8.0.3")
    assert known[0] == ["verify"] and unknown[0] == ["encode"]
    assert known[1] == unknown[1]
