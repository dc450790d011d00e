"""Fuzzing the portal's forms, the integration API's demographics and `rewardshub cards import`.

Never a 500; a refusal says what is wrong (on the page, in the JSON message,
or on stderr) and changes nothing; accepted names are stored exactly.
"""

from __future__ import annotations

import html
import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fuzz.counts import Fuzz
from tests.fuzz.names import email_text, name_text, storable_name
from tests.integrations.conftest import Api, make_key

from rewardshub.audit.actors import Actor
from rewardshub.cards.batches import IssuedCard, issue_batch
from rewardshub.cards.models import Card, CardBatch
from rewardshub.integrations.models import PmsLink
from rewardshub.patients.actions import create_profile
from rewardshub.patients.models import Profile
from rewardshub.portal.models import PortalAccount
from rewardshub.portal.session import SESSION_PROFILE
from rewardshub.practices.models import LoginThrottle, Practice
from rewardshub.wording import count_of

FUZZ = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SYSTEM = Actor.system("tests")
NEW_PASSWORD = "sparkly-braces-42"
API_NAME_FIELDS = ("first_name", "last_name", "preferred_name", "responsible_party")


def fuzz_settings(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples)


# The API strips Unicode White_Space around a value (pydantic); Python's
# str.strip() also strips the ASCII separators \x1c-\x1f, which the API keeps.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)


def _api_strip(value: str) -> str:
    return value.strip(WHITE_SPACE)


def _page_says(response: Any, *messages: str) -> bool:
    page = response.content.decode()
    return any(message and html.escape(message) in page for message in messages)


class TestPortalForms:
    def test_it_answers_any_log_in_with_a_message(
        self,
        fuzz: Fuzz,
        acworth: Practice,
        make_profile: Callable[..., Profile],
        issue_cards: Callable[[Practice, int], list[str]],
    ) -> None:
        number = issue_cards(acworth, 1)[0]
        make_profile(acworth, card=number)
        client = Client()

        @fuzz_settings(60)
        @given(
            identifier=st.one_of(
                name_text, st.just(number), st.just(f";{number}=9912?"), st.text(max_size=300)
            ),
            password=st.text(max_size=140),
        )
        def check(identifier: str, password: str) -> None:
            fuzz.tried("portal forms")
            response = client.post(
                "/portal/login/", {"identifier": identifier, "password": password}
            )
            assert response.status_code in (200, 401, 403, 422, 429), response.status_code
            assert SESSION_PROFILE not in client.session
            form_errors = [str(e) for es in response.context["form"].errors.values() for e in es]
            assert _page_says(response, response.context.get("error") or "", *form_errors)
            assert not PortalAccount.objects.exists()

        check()

    def test_it_answers_any_reset_request_the_same_or_says_what_is_wrong(
        self, fuzz: Fuzz, acworth: Practice
    ) -> None:
        client = Client()

        @fuzz_settings(80)
        @given(email=email_text)
        def check(email: str) -> None:
            fuzz.tried("portal forms")
            response = client.post("/portal/password/forgot/", {"email": email})
            assert response.status_code == 200
            names = [t.name for t in response.templates]
            if "portal/reset_sent.html" in names:
                return
            errors = [str(e) for e in response.context["form"].errors["email"]]
            assert errors and _page_says(response, *errors)

        check()


class TestPortalActivation:
    def test_it_activates_on_the_exact_last_name_or_says_what_is_wrong(
        self, fuzz: Fuzz, acworth: Practice
    ) -> None:
        pool: list[IssuedCard] = []

        def next_card() -> IssuedCard:
            # Shrinking a failure runs more examples than max_examples: never run dry.
            if not pool:
                pool.extend(issue_batch(practice=acworth, count=20, actor=SYSTEM))
            return pool.pop()

        outcomes = {"activated": 0, "refused": 0}

        @fuzz_settings(40)
        @given(
            last=storable_name.filter(lambda text: len(text.strip()) <= 100),
            typed=st.one_of(st.none(), name_text),
            blanks=st.sampled_from(["", " ", "  \t"]),
            email=st.one_of(st.just(""), st.emails(), email_text),
        )
        def check(last: str, typed: str | None, blanks: str, email: str) -> None:
            fuzz.tried("portal forms")
            # Wrong last names lock the address out after a few tries: each
            # example is a first visit (the throttles count in the database).
            cache.clear()
            LoginThrottle.objects.all().delete()
            card = next_card()
            profile = create_profile(
                practice=acworth,
                data={"first_name": "Pat", "last_name": last.strip()},
                actor=SYSTEM,
                card_raw=card.number,
            )
            client = Client()
            login = client.post(
                "/portal/login/", {"identifier": card.number, "password": card.temp_password}
            )
            assert login.status_code == 302 and login["Location"] == "/portal/welcome/"
            # The patient types their last name (maybe in other case, with blanks), or anything.
            answer = blanks + last.strip().upper() + blanks if typed is None else typed
            response = client.post(
                "/portal/welcome/",
                {
                    "last_name": answer,
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                    "email": email,
                },
            )
            assert response.status_code in (302, 422, 200), response.status_code
            account = PortalAccount.objects.filter(profile=profile).first()
            if response.status_code == 302 and response["Location"] == "/portal/":
                assert account is not None and account.email == email.strip().lower()
                outcomes["activated"] += 1
                return
            assert account is None or not account.password
            assert response.status_code != 302 or response["Location"] == "/portal/login/"
            if response.status_code != 302:
                form_errors = [
                    str(e) for es in response.context["form"].errors.values() for e in es
                ]
                assert _page_says(response, response.context.get("error") or "", *form_errors)
            outcomes["refused"] += 1

        check()
        assert outcomes["activated"] and outcomes["refused"], outcomes


@pytest.fixture
def api(acworth: Practice) -> Api:
    return Api(client=Client(), token=make_key(acworth)[1])


@pytest.fixture
def cards(acworth: Practice, issue_cards: Callable[[Practice, int], list[str]]) -> list[str]:
    return issue_cards(acworth, 2)


class TestApiDemographics:
    def test_it_updates_names_exactly_or_refuses_with_a_message(
        self, fuzz: Fuzz, api: Api, cards: list[str]
    ) -> None:
        first = api.set_card("OT-1", cards[0], first_name="Emma", last_name="Johnson")
        assert first.status_code == 200
        profile = Profile.objects.get(username=cards[0])

        @fuzz_settings(120)
        @given(
            names=st.one_of(
                st.tuples(name_text, name_text, name_text, name_text),
                st.tuples(storable_name, storable_name, storable_name, storable_name),
            ),
            email=email_text,
        )
        def check(names: tuple[str, ...], email: str) -> None:
            fuzz.tried("API demographics")
            sent = dict(zip(API_NAME_FIELDS, names, strict=True))
            if email:
                sent["email"] = email
            before = Profile.objects.filter(pk=profile.pk).values().get()
            response = api.update("OT-1", **sent)
            assert response.status_code in (200, 400, 422), response.status_code
            body = response.json()
            if response.status_code != 200:
                assert isinstance(body["error"], str) and len(body["message"]) > 10, body
                assert Profile.objects.filter(pk=profile.pk).values().get() == before
                return
            profile.refresh_from_db()
            for field, value in sent.items():
                assert getattr(profile, field) == _api_strip(value), field

        check()

    def test_it_creates_from_any_set_card_exactly_or_creates_nothing(
        self,
        fuzz: Fuzz,
        api: Api,
        acworth: Practice,
        issue_cards: Callable[[Practice, int], list[str]],
    ) -> None:
        pool = issue_cards(acworth, 40)
        charts = itertools.count()

        @fuzz_settings(100)
        @given(
            card=st.one_of(st.sampled_from(pool), st.text(max_size=30)),
            first=st.one_of(storable_name, name_text),
            last=st.one_of(storable_name, name_text),
        )
        def check(card: str, first: str, last: str) -> None:
            fuzz.tried("API demographics")
            chart = f"FZ-{next(charts)}"
            before = Profile.objects.count(), PmsLink.objects.count()
            response = api.set_card(chart, card, first_name=first, last_name=last)
            assert response.status_code in (200, 400, 404, 409, 422), response.status_code
            body = response.json()
            if response.status_code != 200:
                assert isinstance(body["error"], str) and len(body["message"]) > 10, body
                assert (Profile.objects.count(), PmsLink.objects.count()) == before
                return
            profile = Profile.objects.get(username=body["username"])
            assert (profile.first_name, profile.last_name) == (_api_strip(first), _api_strip(last))

        check()

    def test_it_refuses_a_null_character_in_any_text_field(
        self, api: Api, cards: list[str]
    ) -> None:
        made = api.set_card("OT-1", cards[0], first_name="Emma", last_name="Johnson")
        assert made.status_code == 200
        for field in ("first_name", "preferred_name", "responsible_party", "pms_user", "office"):
            response = api.update("OT-1", **{field: "Emma\x00"})
            assert response.status_code == 422
            # The generic pattern message, or the one naming the NUL (a name
            # the patient needs also says it must not be blank).
            assert response.json()["message"] in (
                f"{field} has characters that are not allowed.",
                f"{field} must not contain NUL characters (\\u0000).",
                f"{field} must not be blank, nor contain NUL characters (\\u0000).",
            )
        profile = Profile.objects.get(username=cards[0])
        assert (profile.first_name, profile.preferred_name) == ("Emma", "")


# --- rewardshub cards import ---

line = st.one_of(
    st.text(alphabet="0123456789", min_size=15, max_size=15).map(
        lambda body: body + str(sum(map(int, body)) % 10)  # often not Luhn-valid: imports allow it
    ),
    st.text(max_size=30),
    st.sampled_from(["card_number", "=cmd|' /C calc'!A0", '"6277', "0000123412341234", ""]),
)
file_bytes = st.one_of(
    st.binary(max_size=200),
    st.tuples(
        st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"]),
        st.lists(line, max_size=8),
        st.sampled_from(["\n", "\r\n", "\r"]),
        st.sampled_from(["utf-8", "latin-1", "utf-16"]),
    ).map(lambda t: t[0] + t[2].join(t[1]).encode(t[3], errors="replace")),
)


def test_it_imports_any_file_whole_or_not_at_all(
    fuzz: Fuzz, acworth: Practice, tmp_path: Path
) -> None:
    path = tmp_path / "old-cards.csv"
    outcomes = {"imported": 0, "refused": 0}

    fresh = (f"5555{n:012d}" for n in itertools.count())

    @fuzz_settings(120)
    @given(
        content=file_bytes,
        clean=st.one_of(
            st.none(), st.tuples(st.integers(1, 6), st.sampled_from(["\n", "\r\n", "\r"]))
        ),
        huge=st.sampled_from([False] * 9 + [True]),
    )
    def check(content: bytes, clean: tuple[int, str] | None, huge: bool) -> None:
        fuzz.tried("CSV import (command)")
        if clean is not None:
            # A well-formed file of numbers no other example used, behind a BOM.
            count, newline = clean
            rows = ["card_number", *(next(fresh) for _ in range(count))]
            content = newline.join(rows).encode("utf-8-sig")
        path.write_bytes(content + (b"\n" + b"7" * 200_000 if huge else b""))
        before = Card.objects.count(), CardBatch.objects.count()
        out = io.StringIO()
        try:
            call_command("cards", "import", "--practice", "acworth", str(path), stdout=out)
        except CommandError as exc:
            message = str(exc)
            assert "nothing was imported" in message or "not UTF-8" in message, message
            assert (Card.objects.count(), CardBatch.objects.count()) == before
            outcomes["refused"] += 1
            return
        batch = CardBatch.objects.latest("id")
        assert Card.objects.count() == before[0] + batch.size
        assert f"Imported {count_of(batch.size, 'card')} into" in out.getvalue()
        outcomes["imported"] += 1

    check()
    assert outcomes["imported"] and outcomes["refused"], outcomes
