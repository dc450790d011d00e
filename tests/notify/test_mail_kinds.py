"""Each kind of patient mail, sent by the real worker to a real SMTP server in the
test process: what arrives, from whom, with which headers, and only once."""

from __future__ import annotations

import time
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.conftest import SYSTEM
from tests.leads.conftest import MIA
from tests.notify.conftest import (
    EMMA_EMAIL,
    UNSUBSCRIBE_LINK,
    Inbox,
    award,
    opt_in,
    work,
)

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import Trigger
from rewardshub.automations.once import pay_birthdays
from rewardshub.automations.settings_actions import save_rule
from rewardshub.jobs.models import Job
from rewardshub.leads.actions import create_lead, set_status
from rewardshub.leads.models import LeadSource, LeadStatus
from rewardshub.notify import kinds
from rewardshub.notify.models import NotifiedEntry, SentMail
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize, RewardItem
from rewardshub.points.orders import cancel_order, order_prize
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)

FROM = "Acworth Orthodontics <rewards@localhost>"


def _one(inbox: Inbox) -> Any:
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    return inbox.messages[0]


def _opt_in_mail(message: Any) -> None:
    """What every opt-in mail carries: the practice as sender, both parts, the
    unsubscribe link in the text and as a one-click List-Unsubscribe header."""
    assert message["From"] == FROM
    assert message["To"] == EMMA_EMAIL
    link = UNSUBSCRIBE_LINK.search(Inbox.text(message))
    assert link is not None, Inbox.text(message)
    # A long header is folded: its value may begin with the fold's space.
    assert message["List-Unsubscribe"].strip() == f"<https://rewards.example.org{link.group(1)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.group(1) in Inbox.html(message)


def test_it_mails_a_visits_awards_in_one_digest(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, menu["On time"])
    award(emma, menu["Wearing elastics"])
    award(emma, menu["Great brushing"])
    assert Job.objects.count() == 1  # the later awards joined the waiting mail

    work()

    message = _one(inbox)
    _opt_in_mail(message)
    assert message["Subject"] == "You earned 35 points at Acworth Orthodontics"
    text = Inbox.text(message)
    for line in ("+5  On time", "+10  Wearing elastics", "+20  Great brushing"):
        assert line in text
    assert "Your balance is now 35 points." in text
    assert "Hi Emma," in text and "Emma" in Inbox.html(message)
    assert NotifiedEntry.objects.count() == 3
    assert SentMail.objects.get().kind == kinds.POINTS_EARNED
    sent = AuditEvent.objects.get(action="mail.sent")
    assert (sent.profile_id, sent.detail) == (emma.pk, {"kind": "points_earned", "entries": 3})

    # A later award of the day is a mail of its own, telling only what is new.
    award(emma, menu["On time"])
    work()
    assert len(inbox.messages) == 2
    later = Inbox.text(inbox.messages[1])
    assert "+5  On time" in later and "Wearing elastics" not in later
    assert inbox.messages[1]["Subject"] == "You earned 5 points at Acworth Orthodontics"


def test_the_digest_waits_so_a_visit_is_one_mail(
    emma: Profile, menu: dict[str, RewardItem], inbox: Inbox, settings: Any
) -> None:
    settings.MAIL_DIGEST_SECONDS = 1
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, menu["On time"])
    assert work() == 0  # not due yet
    award(emma, menu["Wearing elastics"])
    time.sleep(1.2)

    work()

    assert "You earned 15 points" in _one(inbox)["Subject"]


def test_it_mails_that_a_prize_is_ready_for_pickup(
    acworth: Practice, emma: Profile, menu: dict[str, RewardItem], inbox: Inbox,
    owner_client: Client,
) -> None:
    opt_in(emma, kinds.PRIZE_READY)
    award(emma, menu["Great brushing"])
    prize = Prize.objects.create(practice=acworth, name="Glow yo-yo", cost=15)
    order = order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)

    response = owner_client.post(f"/orders/{order.public_id}/ready/")
    assert response.status_code == 302
    again = owner_client.post(f"/orders/{order.public_id}/ready/", follow=True)
    assert "was already marked ready to pick up" in again.content.decode()
    assert "Ready for pickup</span>" in owner_client.get("/orders/").content.decode()
    work()

    message = _one(inbox)
    _opt_in_mail(message)
    assert message["Subject"] == "Your Glow yo-yo is ready to pick up at Acworth Orthodontics"
    assert order.public_id.hex[:8].upper() in Inbox.text(message)
    assert AuditEvent.objects.filter(action="order.ready", profile=emma).count() == 1


def test_it_mails_a_cancelled_order_with_the_reason(
    acworth: Practice, emma: Profile, menu: dict[str, RewardItem], inbox: Inbox
) -> None:
    opt_in(emma, kinds.ORDER_CANCELLED)
    award(emma, menu["Great brushing"])
    prize = Prize.objects.create(practice=acworth, name="Glow yo-yo", cost=15)
    order = order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)

    cancel_order(practice=acworth, order=order, actor=SYSTEM, reason="Out of stock until May")
    work()

    message = _one(inbox)
    _opt_in_mail(message)
    assert message["Subject"] == "Your order of Glow yo-yo was cancelled"
    text = Inbox.text(message)
    assert "The reason: Out of stock until May" in text
    assert "The 15 points it cost went back to you: your balance is now 20 points." in text
    assert "Out of stock until May" in Inbox.html(message)


def test_it_sends_a_birthday_greeting_and_no_points_mail_beside_it(
    acworth: Practice, emma: Profile, inbox: Inbox
) -> None:
    save_rule(practice=acworth, trigger=Trigger.BIRTHDAY, enabled=True, actor=SYSTEM, points=10)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(acworth.time_zone)).date()
    Profile.objects.filter(pk=emma.pk).update(birth_date=today.replace(year=today.year - 12))
    opt_in(emma, kinds.BIRTHDAY, kinds.POINTS_EARNED)

    assert pay_birthdays(acworth, today) == 1
    work()
    assert pay_birthdays(acworth, today) == 0
    work()

    message = _one(inbox)
    _opt_in_mail(message)
    assert message["Subject"] == "Happy birthday, Emma, from Acworth Orthodontics!"
    assert "we gave you 10 points" in Inbox.text(message)
    assert SentMail.objects.get().kind == kinds.BIRTHDAY


def test_it_mails_the_referrer_when_the_bonus_is_paid(
    acworth: Practice, emma: Profile, inbox: Inbox
) -> None:
    save_rule(
        practice=acworth, trigger=Trigger.REFERRAL, enabled=True, actor=SYSTEM, points=50,
        referral_stage="started_treatment",
    )
    opt_in(emma, kinds.REFERRAL_BONUS)
    lead = create_lead(
        practice=acworth,
        data={**MIA, "source": LeadSource.REFERRAL},
        actor=SYSTEM,
        referred_by=emma,
    )

    set_status(practice=acworth, lead=lead, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)
    work()

    message = _one(inbox)
    _opt_in_mail(message)
    assert message["Subject"] == "Thank you for your referral: 50 bonus points"
    text = Inbox.text(message)
    assert "Your referral bonus of 50 points is paid" in text
    assert "Mia" not in text  # the friend is never named


def test_a_password_reset_always_goes_and_has_no_unsubscribe_link(
    emma: Profile, inbox: Inbox
) -> None:
    # Emma turned every kind of mail off (or never on): a reset she asks for still comes.
    response = Client().post("/portal/password/forgot/", {"email": EMMA_EMAIL})
    assert response.status_code == 200

    message = _one(inbox)
    assert message["From"] == FROM
    assert message["Subject"] == "Your Acworth Orthodontics rewards password"
    assert message["List-Unsubscribe"] is None
    text = Inbox.text(message)
    assert "/portal/password/reset/" in text
    assert "unsubscribe" not in text.lower() and "unsubscribe" not in Inbox.html(message).lower()
    assert Job.objects.count() == 0  # sent by the request itself, no queue involved
