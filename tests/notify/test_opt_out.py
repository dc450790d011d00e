"""Opt-in per patient and kind: the portal's Email page, the unsubscribe link in every
opt-in mail and its one-click List-Unsubscribe POST, and what a patient who
said no gets (nothing)."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import Client
from tests.notify.conftest import (
    PORTAL_PASSWORD,
    UNSUBSCRIBE_LINK,
    Inbox,
    award,
    opt_in,
    work,
)

from rewardshub.audit.models import AuditEvent
from rewardshub.jobs.models import Job
from rewardshub.notify import kinds
from rewardshub.notify.models import MailPreference
from rewardshub.notify.tokens import SALT
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, RewardItem

pytestmark = pytest.mark.django_db(transaction=True)


def _portal(profile: Profile) -> Client:
    client = Client()
    response = client.post(
        "/portal/login/", {"identifier": profile.username, "password": PORTAL_PASSWORD}
    )
    assert response.status_code == 302
    return client


def _wants(profile: Profile, kind: str) -> bool:
    found = MailPreference.objects.filter(profile=profile).first()
    return found is not None and found.wants(kind)


def _mail_and_link(profile: Profile, item: RewardItem, inbox: Inbox) -> str:
    opt_in(profile, kinds.POINTS_EARNED)
    award(profile, item)
    work()
    match = UNSUBSCRIBE_LINK.search(Inbox.text(inbox.messages[-1]))
    assert match is not None
    return match.group(1)


def test_no_mail_goes_to_a_patient_who_did_not_opt_in(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    award(emma, menu["On time"])
    opt_in(emma, kinds.BIRTHDAY)  # another kind: still no points mail
    award(emma, menu["Wearing elastics"])
    work()

    assert inbox.messages == []
    assert Job.objects.count() == 0
    assert LedgerEntry.objects.filter(profile=emma).count() == 2


def test_the_portal_shows_and_changes_the_choices(emma: Profile, inbox: Inbox) -> None:
    client = _portal(emma)
    page = client.get("/portal/mail/").content.decode()
    assert "emma.johnson@example.com" in page
    for kind in kinds.OPT_IN:
        assert kind.choice in page
    assert 'name="points_earned"' in page and "checked" not in page

    response = client.post("/portal/mail/", {"points_earned": "on", "prize_ready": "on"})
    assert response.status_code == 302
    assert _wants(emma, kinds.POINTS_EARNED) and _wants(emma, kinds.PRIZE_READY)
    assert not _wants(emma, kinds.BIRTHDAY)
    event = AuditEvent.objects.get(action="mail.preferences")
    assert event.profile_id == emma.pk
    assert sorted(event.detail["on"]) == ["points_earned", "prize_ready"]

    client.post("/portal/mail/", {"prize_ready": "on"})
    assert not _wants(emma, kinds.POINTS_EARNED) and _wants(emma, kinds.PRIZE_READY)
    again = client.get("/portal/mail/").content.decode()
    assert re.search(r'name="prize_ready"[^>]* checked', again)
    assert not re.search(r'name="points_earned"[^>]* checked', again)


def test_a_patient_who_opts_out_before_the_mail_goes_gets_none(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, menu["On time"])
    _portal(emma).post("/portal/mail/", {})  # every box unticked

    work()

    assert inbox.messages == []
    assert Job.objects.get().outcome == "not sent: the patient does not want this mail"


def test_the_unsubscribe_link_works_with_one_click(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    path = _mail_and_link(emma, menu["On time"], inbox)

    page = Client().get(path)

    assert page.status_code == 200
    assert "You are unsubscribed" in page.content.decode()
    assert "“Points earned”" in page.content.decode()
    assert not _wants(emma, kinds.POINTS_EARNED)
    event = AuditEvent.objects.get(action="mail.unsubscribe")
    assert (event.profile_id, event.actor_label, event.detail) == (
        emma.pk, "Unsubscribe link", {"kind": "points_earned"},
    )
    award(emma, menu["Wearing elastics"])
    work()
    assert len(inbox.messages) == 1

    # Clicked by mistake: the page's button turns the mail back on (a form with its CSRF token).
    browser = Client(enforce_csrf_checks=True)
    token = browser.get(path).cookies["csrftoken"].value
    undone = browser.post(path + "undo/", {"csrfmiddlewaretoken": token})
    assert undone.status_code == 200 and _wants(emma, kinds.POINTS_EARNED)


def test_the_list_unsubscribe_header_takes_a_one_click_post(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    _mail_and_link(emma, menu["On time"], inbox)
    header = inbox.messages[-1]["List-Unsubscribe"]
    path = header.strip().strip("<>").removeprefix("https://rewards.example.org")

    # As a mail program sends it (RFC 8058): a form body, no cookie, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert not _wants(emma, kinds.POINTS_EARNED)


def test_a_forged_or_broken_link_changes_nothing(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    path = _mail_and_link(emma, menu["On time"], inbox)
    token = path.split("/")[-2]
    key, kind = signing.loads(token, salt=SALT)
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature broken
        signing.dumps([key, "password_reset"], salt=SALT),  # a kind that has no opt-out
        signing.dumps(["0" * 32, kind], salt=SALT),  # nobody's key
        signing.dumps([key, kind], salt="another.salt"),
        "not-a-token",
    ]
    for bad in forged:
        for method in ("get", "post"):
            response = getattr(Client(), method)(f"/mail/unsubscribe/{bad}/")
            assert response.status_code == 404, (bad, method)
            assert "This link does not work" in response.content.decode()
    assert _wants(emma, kinds.POINTS_EARNED)
    assert not AuditEvent.objects.filter(action="mail.unsubscribe").exists()


def test_the_link_holds_no_patient_data(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    path = _mail_and_link(emma, menu["On time"], inbox)
    key, kind = signing.loads(path.split("/")[-2], salt=SALT)
    assert kind == "points_earned"
    assert key == MailPreference.objects.get(profile=emma).unsubscribe_key
    for private in (emma.username, emma.first_name, emma.last_name, "example.com",
                    str(emma.public_id), emma.public_id.hex):
        assert private not in path
