"""Log-in, activation and reset cost the same whether or not the account exists.

Time is what gives an account away (an activated card took 0.3-1 s to refuse,
an unknown one 30 ms), but timing tests are flaky; what makes the time is the
work, so these count it: the password hasher's calls (tests/work_count.py)
and the database queries, for a known and an unknown name, each request from
its own address so each starts from the same throttle state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from tests.work_count import hash_calls, query_shape

from rewardshub.cards.numbers import new_card_number
from rewardshub.portal.actions import issue_temp_password
from rewardshub.portal.views_reset import reset_request_view

from .conftest import LOGIN, NEW_PASSWORD, SYSTEM, Patient

__all__ = ["hash_calls"]  # the fixture, used by name below
_addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def _work(hash_calls: list[str], send: Callable[[Client], Any]) -> tuple[list[str], list[str]]:
    """The hasher calls and the query shapes of one request from a new address."""
    client = Client(REMOTE_ADDR=next(_addresses))
    del hash_calls[:]
    with CaptureQueriesContext(connection) as queries:
        send(client)
    return list(hash_calls), [query_shape(q["sql"]) for q in queries.captured_queries]


def _login(identifier: str, password: str) -> Callable[[Client], Any]:
    def send(client: Client) -> Any:
        response = client.post(LOGIN, {"identifier": identifier, "password": password})
        assert response.status_code == 401, response.content
        return response

    return send


def _unknown_card() -> str:
    return new_card_number()


class TestPortalLogIn:
    def test_an_activated_card_and_an_unknown_one_cost_the_same(
        self, activated: Patient, hash_calls: list[str]
    ) -> None:
        _work(hash_calls, _login(_unknown_card(), "not-my-password"))  # warm up
        known = _work(hash_calls, _login(activated.username, "not-my-password"))
        unknown = _work(hash_calls, _login(_unknown_card(), "not-my-password"))
        assert known[0] == ["verify"]
        assert known == unknown

    def test_a_card_number_and_an_unknown_one_cost_the_same_with_a_4_digit_guess(
        self, activated: Patient, patient: Patient, batch: Any, hash_calls: list[str]
    ) -> None:
        _work(hash_calls, _login(_unknown_card(), "1234"))
        wrong = "0000" if batch[1].temp_password != "0000" else "1111"
        # An issued card nobody uses yet, a patient's activated card, an unknown number.
        spare = _work(hash_calls, _login(batch[1].number, wrong))
        known = _work(hash_calls, _login(activated.username, wrong))
        unknown = _work(hash_calls, _login(_unknown_card(), wrong))
        assert known[0] == ["verify"]
        assert known == unknown == spare

    def test_a_registered_email_and_an_unknown_one_cost_the_same(
        self, activated: Patient, hash_calls: list[str]
    ) -> None:
        _work(hash_calls, _login("warm@example.com", "not-my-password"))
        known = _work(hash_calls, _login("emma.johnson@example.com", "not-my-password"))
        unknown = _work(hash_calls, _login("nobody@example.com", "not-my-password"))
        assert known[0] == ["verify"]
        assert known == unknown


class TestActivation:
    def test_a_profile_with_an_account_and_one_without_cost_the_same(
        self, batch: Any, acworth: Any, make_profile: Any, hash_calls: list[str]
    ) -> None:
        fresh = make_profile(acworth, first="Ava", last="Lee", card=batch[2].number)
        issued = make_profile(acworth, first="Max", last="Lee", card=batch[3].number)
        # The front desk issued Max a temporary password: his account row exists.
        temp = issue_temp_password(practice=acworth, profile=issued, actor=SYSTEM)

        def activate(username: str, password: str) -> Callable[[Client], Any]:
            def send(client: Client) -> Any:
                login = client.post(LOGIN, {"identifier": username, "password": password})
                assert login["Location"] == "/portal/welcome/"
                form = {"last_name": "Lee", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
                response = client.post("/portal/welcome/", form)
                assert response["Location"] == "/portal/"

            return send

        _work(hash_calls, _login(_unknown_card(), "not-my-password"))  # warm up
        without = _work(hash_calls, activate(fresh.username, batch[2].temp_password))
        with_account = _work(hash_calls, activate(issued.username, temp))
        assert without[0] == ["verify", "encode"]
        assert with_account == without


class TestReset:
    def _reset(self, email: str) -> Callable[[Client], Any]:
        def send(client: Client) -> Any:
            response = client.post("/portal/password/forgot/", {"email": email})
            assert "If that email belongs to a rewards account" in response.content.decode()

        return send

    def test_a_registered_email_and_an_unknown_one_cost_the_same(
        self, activated: Patient, hash_calls: list[str]
    ) -> None:
        self._reset("warm@example.com")(Client())
        known = _work(hash_calls, self._reset("emma.johnson@example.com"))
        unknown = _work(hash_calls, self._reset("nobody@example.com"))
        assert known == unknown
        assert [m.to for m in mail.outbox] == [["emma.johnson@example.com"]]

    def test_the_mail_goes_out_after_the_page(self, activated: Patient) -> None:
        request = RequestFactory().post(
            "/portal/password/forgot/", {"email": "emma.johnson@example.com"}
        )
        request.session = Client().session
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        response = reset_request_view(request)
        assert response.status_code == 200
        assert mail.outbox == []  # the page is ready; nothing sent yet
        response.close()  # what the WSGI server calls once the page is sent
        assert [m.to for m in mail.outbox] == [["emma.johnson@example.com"]]
