"""Shared fixtures: a practice with an owner and front-desk staff, and an outsider practice.

Every test suite runs twice by `make test`: on SQLite, and on PostgreSQL when
REWARDSHUB_TEST_POSTGRES_URL is set (DATABASE_URL points the settings at it).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from tests.fuzz.counts import PREFIX

from rewardshub.audit.actors import Actor
from rewardshub.audit.keyring import new_entry
from rewardshub.cards.batches import issue_batch
from rewardshub.patients.actions import add_tag, create_profile
from rewardshub.patients.models import Profile, Tag
from rewardshub.practices.actions import add_staff, create_practice
from rewardshub.practices.models import Practice, Role

# The audit trail's signing key, the same for this process and every server
# or command a test starts (they inherit the environment): made once a run,
# never the development hub's var/audit.key nor a production default.
os.environ.setdefault("REWARDSHUB_AUDIT_KEY", new_entry())
settings.AUDIT_KEY = os.environ["REWARDSHUB_AUDIT_KEY"]

# Playwright's sync API runs an event loop in the test thread; Django would
# then refuse database calls from that thread, which the tests make on purpose.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"
SYSTEM = Actor.system("tests")


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Lockout counters live in the cache; tests must not see each other's.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def acworth(db: Any) -> Practice:
    practice = create_practice(
        name="Acworth Orthodontics", slug="acworth", actor=SYSTEM, locations=("Acworth", "Marietta")
    )
    return practice


@pytest.fixture
def riverside(db: Any) -> Practice:
    return create_practice(
        name="Riverside Dental", slug="riverside", actor=SYSTEM, locations=("Riverside",)
    )


@pytest.fixture
def owner(acworth: Practice) -> Any:
    return add_staff(
        practice=acworth, username="owner", password=PASSWORD, role=Role.OWNER, actor=SYSTEM
    ).user


@pytest.fixture
def frontdesk(acworth: Practice) -> Any:
    return add_staff(
        practice=acworth, username="frontdesk", password=PASSWORD, role=Role.REWARDS, actor=SYSTEM
    ).user


@pytest.fixture
def outsider(riverside: Practice) -> Any:
    """Staff (owner) of another practice."""
    return add_staff(
        practice=riverside, username="riverside", password=PASSWORD, role=Role.OWNER, actor=SYSTEM
    ).user


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_client(practice: Practice, username: str, role: str) -> Client:
    """A client signed in as new staff of the practice with this role."""
    user = add_staff(
        practice=practice, username=username, password=PASSWORD, role=role, actor=SYSTEM
    ).user
    return _client_for(user)


@pytest.fixture
def financial_client(acworth: Practice) -> Client:
    return staff_client(acworth, "books", Role.FINANCIAL)


@pytest.fixture
def owner_client(owner: Any) -> Client:
    return _client_for(owner)


@pytest.fixture
def frontdesk_client(frontdesk: Any) -> Client:
    return _client_for(frontdesk)


@pytest.fixture
def outsider_client(outsider: Any) -> Client:
    return _client_for(outsider)


@pytest.fixture
def issue_cards(db: Any) -> Callable[[Practice, int], list[str]]:
    """Issue `n` new cards to a practice; returns their numbers."""

    def issue(practice: Practice, n: int = 5) -> list[str]:
        return [card.number for card in issue_batch(practice=practice, count=n, actor=SYSTEM)]

    return issue


@pytest.fixture
def make_profile(db: Any) -> Callable[..., Profile]:
    """Create a profile, optionally from a card number and with tags (by name)."""

    def make(
        practice: Practice,
        first: str = "Emma",
        last: str = "Johnson",
        card: str | None = None,
        tags: tuple[str, ...] = (),
        **data: Any,
    ) -> Profile:
        profile = create_profile(
            practice=practice,
            data={"first_name": first, "last_name": last, **data},
            actor=SYSTEM,
            card_raw=card,
        )
        for name in tags:
            add_tag(
                practice=practice,
                profile=profile,
                tag=Tag.objects.get(practice=practice, name=name),
                actor=SYSTEM,
            )
        return profile

    return make


_fuzz_inputs: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # The teardown report carries what fixtures recorded while tearing down.
    if report.when != "teardown":
        return
    for name, value in report.user_properties:
        if isinstance(name, str) and name.startswith(PREFIX):
            _fuzz_inputs[name[len(PREFIX) :]] += int(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what a test recorded with record_property("summary", line) (e.g. how many
    cases the API fuzzing ran) and the input fuzzing's counts: the reports cross
    from xdist workers, print() does not."""
    lines = [
        str(value)
        for kind in ("passed", "failed")
        for report in terminalreporter.getreports(kind)
        for name, value in getattr(report, "user_properties", ())
        if name == "summary"
    ]
    if _fuzz_inputs:
        parts = [f"{target} {n:,}" for target, n in sorted(_fuzz_inputs.items())]
        total = sum(_fuzz_inputs.values())
        lines.append(f"input fuzz: {', '.join(parts)} (in all {total:,} inputs)")
    if lines:
        terminalreporter.write_sep("-", "summaries")
        for line in lines:
            terminalreporter.write_line(line)
