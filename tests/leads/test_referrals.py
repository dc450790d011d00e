"""The portal's Refer a friend: a lead with source Referral, limited per patient
and per friend's address; the referrer sees only pending or bonus paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from tests.conftest import SYSTEM
from tests.leads.conftest import BONUS, portal_login

from rewardshub.audit.models import AuditEvent
from rewardshub.automations.models import AutoRule
from rewardshub.leads.actions import set_status
from rewardshub.leads.models import Lead, LeadSource, LeadStatus
from rewardshub.leads.referrals import REFERRALS_PER_DAY, _when
from rewardshub.patients.models import Profile
from rewardshub.practices.models import Practice

REFER = "/portal/refer/"


def friend(n: int = 0, **changes: str) -> dict[str, str]:
    return {
        "first_name": "Mia",
        "last_name": "Lopez",
        "email": f"mia{n}@example.com",
        "phone": "",
        **changes,
    }


def test_it_creates_a_referral_lead(referrer_client: Client, referrer: Profile) -> None:
    response = referrer_client.post(REFER, friend())

    assert response.status_code == 302 and response["Location"] == REFER
    lead = Lead.objects.get()
    assert (lead.practice, lead.source, lead.referred_by, lead.status) == (
        referrer.practice,
        LeadSource.REFERRAL,
        referrer,
        LeadStatus.NEW,
    )
    assert (lead.full_name, lead.email) == ("Mia Lopez", "mia0@example.com")
    event = AuditEvent.objects.get(action="lead.create")
    assert (event.profile, event.actor_kind, event.detail["referred"]) == (
        referrer,
        "patient",
        True,
    )
    page = referrer_client.get(REFER).content.decode()
    assert "Thank you! We will reach out to Mia soon." in page
    assert "Mia L." in page and "Pending" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"email": "", "phone": ""},
            "Enter an email or a phone number, so the practice can reach them.",
        ),
        ({"first_name": " "}, "Enter your friend's first name."),
        ({"email": "mia-at-home"}, "Enter an email like name@example.com."),
    ],
)
def test_it_refuses_bad_input_and_creates_nothing(
    referrer_client: Client, changes: dict[str, str], message: str
) -> None:
    response = referrer_client.post(REFER, friend(**changes))

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert [message] in errors.values()
    assert not Lead.objects.exists()


def test_it_limits_referrals_per_patient(referrer_client: Client) -> None:
    for n in range(REFERRALS_PER_DAY):
        assert referrer_client.post(REFER, friend(n)).status_code == 302

    response = referrer_client.post(REFER, friend(99))

    assert response.status_code == 429
    assert (
        f"You can refer up to {REFERRALS_PER_DAY} friends a day. Thank you! Please try again "
        "tomorrow." in response.content.decode()
    )
    assert Lead.objects.count() == REFERRALS_PER_DAY


def test_it_limits_referrals_per_friend_address_across_patients(
    referrer_client: Client, acworth: Practice, portal_patient: Callable[..., Profile]
) -> None:
    assert referrer_client.post(REFER, friend(email="Mia.Lopez@Example.com")).status_code == 302
    liam = portal_login(portal_patient(acworth, "Liam", "Smith"))

    again = liam.post(REFER, friend(email="mia.lopez@example.com "))

    assert again.status_code == 429
    assert "This friend was referred to us in the last 30 days" in again.content.decode()
    assert Lead.objects.count() == 1
    # The refused referral did not count against Liam's own limit.
    for n in range(1, REFERRALS_PER_DAY + 1):
        assert liam.post(REFER, friend(n)).status_code == 302


def test_the_same_address_in_another_practice_is_its_own(
    referrer_client: Client, riverside: Practice, portal_patient: Callable[..., Profile]
) -> None:
    assert referrer_client.post(REFER, friend()).status_code == 302
    rita = portal_login(portal_patient(riverside, "Rita", "Rivers"))

    assert rita.post(REFER, friend()).status_code == 302
    assert sorted(Lead.objects.values_list("practice__slug", flat=True)) == ["acworth", "riverside"]


def test_the_referrer_sees_pending_or_bonus_paid_never_the_status(
    referrer_client: Client, acworth: Practice, bonus_rule: AutoRule
) -> None:
    referrer_client.post(REFER, friend(1, first_name="Ava"))
    referrer_client.post(REFER, friend(2, first_name="Ben"))
    ava, ben = Lead.objects.order_by("first_name")
    set_status(practice=acworth, lead=ava, status=LeadStatus.CONSULT_BOOKED, actor=SYSTEM)
    set_status(practice=acworth, lead=ben, status=LeadStatus.STARTED_TREATMENT, actor=SYSTEM)

    page = referrer_client.get(REFER).content.decode()

    assert 'Ava L.</strong> <span class="p-muted">' in page
    assert page.count('data-state="pending"') == 1 and page.count('data-state="paid"') == 1
    assert f"(+{BONUS} points)" in page
    for word in ("Consult booked", "Started treatment", "consult_booked", "started_treatment"):
        assert word not in page


def test_staff_and_signed_out_visitors_cannot_refer(frontdesk_client: Client) -> None:
    assert Client().get(REFER)["Location"] == "/portal/login/"
    assert frontdesk_client.post(REFER, friend())["Location"] == "/portal/login/"
    assert not Lead.objects.exists()


def test_the_day_a_friend_may_be_referred_again_is_the_practices_day() -> None:
    # 03:00 UTC on March 4 is still the evening of March 3 in Atlanta.
    until = dt.datetime(2025, 3, 4, 3, 0, tzinfo=dt.UTC).timestamp()

    assert _when(until, "America/New_York") == "Mar 3, 2025"
    assert _when(until, "Europe/Berlin") == "Mar 4, 2025"
