"""Patient mail fixtures: a real SMTP server in the test process, and a patient who
uses the portal.

`inbox` is an aiosmtpd server on a free local port; the hub's SMTP backend
is pointed at it, and what it received is read back as parsed messages. It
can be taken down and brought up again on the same port (a failing mail
server). Jobs run through the real worker (`rewardshub.jobs.worker.run_once`):
the tests that use it need committed rows, so they run in transactional
tests (`pytestmark` in each module).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from tests.conftest import SYSTEM
from tests.live_hub import free_port

from rewardshub.jobs.worker import run_once
from rewardshub.notify.actions import set_preferences
from rewardshub.patients.models import Profile
from rewardshub.points.actions import award_items
from rewardshub.points.models import LedgerEntry, RewardCategory, RewardItem
from rewardshub.portal.actions import activate_account
from rewardshub.portal.auth import temp_password_hashes
from rewardshub.practices.models import Practice

EMMA_EMAIL = "emma.johnson@example.com"
PORTAL_PASSWORD = "sparkly-braces-42"
PUBLIC_URL = "https://rewards.example.org"
UNSUBSCRIBE_LINK = re.compile(r"https://rewards\.example\.org(/mail/unsubscribe/[^/\s]+/)")


class _Collect:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.inbox.messages.append(message)
        self.inbox.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@dataclass
class Inbox:
    """What the SMTP server received, in order."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    controller: Controller | None = None

    def up(self) -> None:
        assert self.controller is None
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @staticmethod
    def html(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    box = Inbox(free_port())
    box.up()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = box.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.PUBLIC_URL = PUBLIC_URL
    # Mail at once (the digest's wait is tested on its own) and retries a second apart.
    settings.MAIL_DIGEST_SECONDS = 0
    settings.JOB_RETRY_SECONDS = 1
    yield box
    box.down()


@pytest.fixture
def emma(acworth: Practice, issue_cards: Any, make_profile: Any) -> Profile:
    """A patient with a card and a portal account with an email."""
    profile: Profile = make_profile(acworth, "Emma", "Johnson", card=issue_cards(acworth, 1)[0])
    activate_account(
        profile=profile,
        temp_hash=temp_password_hashes(profile, None)[0],
        password=PORTAL_PASSWORD,
        email=EMMA_EMAIL,
        actor=SYSTEM,
    )
    profile.refresh_from_db()
    return profile


def opt_in(profile: Profile, *kinds: str) -> None:
    set_preferences(profile=profile, wanted=dict.fromkeys(kinds, True), actor=SYSTEM)


@pytest.fixture
def menu(acworth: Practice) -> dict[str, RewardItem]:
    category = RewardCategory.objects.create(practice=acworth, name="Visit")
    return {
        name: RewardItem.objects.create(practice=acworth, category=category, name=name, points=p)
        for name, p in (("On time", 5), ("Wearing elastics", 10), ("Great brushing", 20))
    }


def award(profile: Profile, *items: RewardItem) -> list[LedgerEntry]:
    return award_items(
        practice=profile.practice, profile=profile, items=list(items), actor=SYSTEM
    )


def work() -> int:
    """Run the worker once, as `rewardshub worker --once` does: every task that is due."""
    return run_once()
