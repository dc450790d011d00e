"""Fuzzing what can be typed into an address bar: page numbers, and the audit log's patient search.

Never a 500: a page number that is not one shows the first (or last) page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.fuzz.counts import Fuzz
from tests.fuzz.names import name_text

from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

FUZZ = settings(
    deadline=None, database=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow]
)
page_numbers = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["²", "٣", "1e400", "nan", "-0", "0x10", "9" * 5000, "1" * 25]),
)


def test_it_shows_a_page_for_any_page_number(
    fuzz: Fuzz, acworth: Practice, owner_client: Client, make_profile: Callable[..., Profile]
) -> None:
    profile = make_profile(acworth)
    pages = [f"/patients/{profile.public_id}/", "/patients/", "/patients/missing-tags/", "/audit/"]

    @FUZZ
    @given(number=page_numbers)
    @example(number="9" * 25)
    @example(number="²")
    def check(number: str) -> None:
        for path in pages:
            fuzz.tried("page numbers")
            response = owner_client.get(path, {"page": number})
            assert response.status_code == 200, (path, response.status_code)

    check()


def test_it_searches_the_audit_log_for_any_patient_name(
    fuzz: Fuzz, acworth: Practice, owner_client: Client, make_profile: Callable[..., Profile]
) -> None:
    make_profile(acworth, first="<b>Zoë</b>", last="O'Brien")

    @FUZZ
    @given(text=st.one_of(name_text, st.text(max_size=300)))
    @example(text="Zo\x00ë")
    def check(text: str) -> None:
        fuzz.tried("audit log search")
        response = owner_client.post("/audit/", {"patient": text})
        assert response.status_code == 200

    check()
