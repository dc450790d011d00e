"""The invitation mail, sent by the real worker to a real SMTP server: its one-time link
verifies the email and sets the guardian's password; a newer invitation replaces it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from tests.notify.conftest import PUBLIC_URL, Inbox, inbox, work  # noqa: F401 (the fixture)

from rewardshub.audit.models import AuditEvent
from rewardshub.families.models import Guardian
from rewardshub.jobs.models import Job
from rewardshub.patients.models import Profile

from .conftest import CHOOSE, GUARDIAN_PASSWORD, PARENT_EMAIL

pytestmark = pytest.mark.django_db(transaction=True)
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/portal/family/welcome/[^/\s]+/)")


def _invite(client: Client, profile: Profile) -> None:
    response = client.post(f"/patients/{profile.public_id}/family/invite/", {"email": PARENT_EMAIL})
    assert response.status_code == 302


def _link(box: Inbox, n: int = -1) -> str:
    found = LINK.search(Inbox.text(box.messages[n]))
    assert found is not None
    return found.group(1)


def _choose_password(client: Client, path: str) -> Any:
    return client.post(path, {"password1": GUARDIAN_PASSWORD, "password2": GUARDIAN_PASSWORD})


@pytest.fixture
def first_link(
    inbox: Inbox,  # noqa: F811
    owner_client: Client,
    children: tuple[Profile, Profile],
) -> str:
    """Emma's parent invited from her Family page, and the link the mail carried."""
    _invite(owner_client, children[0])
    work()
    return _link(inbox)


def test_the_link_verifies_the_email_and_sets_the_password(
    first_link: str,
    inbox: Inbox,  # noqa: F811
) -> None:
    assert inbox.recipients == [[PARENT_EMAIL]]
    message = inbox.messages[0]
    assert message["Subject"] == "Confirm your email for Acworth Orthodontics rewards"
    assert "List-Unsubscribe" not in message
    path = first_link
    assert urlsplit(path).path == path and "Emma" not in path and "@" not in path

    guardian_client = Client()
    page = guardian_client.get(path)
    assert page.status_code == 200 and "Choose a new password" in page.content.decode()
    response = _choose_password(guardian_client, path)
    assert response.status_code == 302 and response["Location"] == CHOOSE
    guardian = Guardian.objects.get()
    assert guardian.verified_at is not None and guardian.check_password(GUARDIAN_PASSWORD)
    assert "Open Emma’s rewards" in guardian_client.get(CHOOSE).content.decode()
    assert AuditEvent.objects.filter(action="family.verify").count() == 1
    assert Job.objects.get().outcome == "sent"

    # The link works once.
    again = Client().get(path)
    assert again.status_code == 400
    assert "This link doesn’t work any more" in again.content.decode()


def test_a_newer_invitation_replaces_the_earlier_link(
    first_link: str,
    inbox: Inbox,  # noqa: F811
    owner_client: Client,
    children: tuple[Profile, Profile],
) -> None:
    first = first_link
    _invite(owner_client, children[1])
    work()
    assert len(inbox.messages) == 2
    second = _link(inbox, 1)
    assert Client().get(first).status_code == 400
    assert _choose_password(Client(), first).status_code == 400
    assert Guardian.objects.get().verified_at is None
    assert Client().get(second).status_code == 200


def test_a_verified_guardian_gets_no_new_mail(
    first_link: str,
    inbox: Inbox,  # noqa: F811
    owner_client: Client,
    children: tuple[Profile, Profile],
) -> None:
    _choose_password(Client(), first_link)
    response = owner_client.post(
        f"/patients/{children[1].public_id}/family/invite/", {"email": PARENT_EMAIL}, follow=True
    )
    assert f"{PARENT_EMAIL} already signs in: they can now act for Liam too." in (
        response.content.decode()
    )
    work()
    assert len(inbox.messages) == 1
