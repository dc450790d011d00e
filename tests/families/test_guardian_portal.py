"""The guardian's portal: sign-in, lockouts, the child switcher, the child's pages and
orders, and the refusals (unverified, unconfirmed, removed, another practice's child)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from rewardshub.audit.models import AuditEvent
from rewardshub.families.actions import remove_link
from rewardshub.families.auth import BAD_CREDENTIALS
from rewardshub.families.models import GuardianLink
from rewardshub.families.queries import children
from rewardshub.families.session import SESSION_CHILD, SESSION_GUARDIAN
from rewardshub.patients.models import Profile
from rewardshub.points.models import LedgerEntry, Prize, PrizeOrder
from rewardshub.practices.models import Practice

from .conftest import (
    CHOOSE,
    GUARDIAN_PASSWORD,
    LOGIN,
    PARENT_EMAIL,
    Family,
    accept,
    staff_actor,
    switch,
)

NOT_LINKED = "That child isn’t linked to your sign-in, so nothing was changed."
SignIn = Callable[..., Client]


def _balance(profile: Profile) -> int:
    profile.refresh_from_db()
    return profile.points_balance


class TestSignIn:
    def test_it_signs_in_with_email_and_password(
        self, family: Family, sign_in_guardian: SignIn
    ) -> None:
        client = sign_in_guardian(email="  JORDAN.parent@family.test")
        assert client.session[SESSION_GUARDIAN] == family.guardian.pk
        event = AuditEvent.objects.get(action="family.login", outcome="ok")
        assert event.actor_label == f"Parent or guardian ({PARENT_EMAIL})"

    def test_it_gives_unknown_emails_and_wrong_passwords_one_answer(
        self, family: Family, client: Client
    ) -> None:
        for email, password in ((PARENT_EMAIL, "wrong-password-1"), ("no@one.test", "x")):
            response = client.post(LOGIN, {"email": email, "password": password})
            assert response.status_code == 401
            assert BAD_CREDENTIALS in response.content.decode()
            assert SESSION_GUARDIAN not in client.session

    def test_it_locks_the_email_after_five_failures_even_for_the_right_password(
        self, family: Family, client: Client
    ) -> None:
        statuses = [
            client.post(LOGIN, {"email": PARENT_EMAIL, "password": f"wrong-{n}"}).status_code
            for n in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]
        response = client.post(LOGIN, {"email": PARENT_EMAIL, "password": GUARDIAN_PASSWORD})
        assert response.status_code == 429
        assert "Too many wrong passwords for this email." in response.content.decode()
        assert SESSION_GUARDIAN not in client.session

    def test_the_patient_login_page_leads_to_it(self, client: Client) -> None:
        assert f'href="{LOGIN}"' in client.get("/portal/login/").content.decode()


class TestUnverified:
    def test_an_unverified_guardian_cannot_sign_in(self, invited: Family, client: Client) -> None:
        # Even with a password somehow set, the email is not verified.
        invited.guardian.set_password(GUARDIAN_PASSWORD)
        invited.guardian.save()
        response = client.post(LOGIN, {"email": PARENT_EMAIL, "password": GUARDIAN_PASSWORD})
        assert response.status_code == 401
        assert SESSION_GUARDIAN not in client.session

    def test_an_unverified_guardian_sees_no_child(self, invited: Family, client: Client) -> None:
        guardian = invited.guardian
        assert children(guardian) == []
        guardian.set_password(GUARDIAN_PASSWORD)
        guardian.save()
        # A session made by hand, as if signed in, still opens nothing.
        from rewardshub.families import session as family_session

        stored = client.session
        stored[family_session.SESSION_GUARDIAN] = guardian.pk
        stored[family_session.SESSION_PRACTICE] = guardian.practice_id
        stored[family_session.SESSION_AUTH] = family_session._fingerprint(guardian)
        stored[SESSION_CHILD] = invited.emma.public_id.hex
        stored.save()
        assert client.get("/portal/")["Location"] == "/portal/login/"
        assert client.get(CHOOSE)["Location"] == LOGIN
        assert switch(client, invited.emma)["Location"] == LOGIN


class TestSwitcher:
    def test_it_lists_only_confirmed_children(
        self, invited: Family, sign_in_guardian: SignIn
    ) -> None:
        accept(invited.guardian)
        client = sign_in_guardian()
        page = client.get(CHOOSE).content.decode()
        assert "Open Emma’s rewards" in page and "Liam" not in page

    def test_it_refuses_an_unconfirmed_child_and_changes_nothing(
        self, invited: Family, sign_in_guardian: SignIn
    ) -> None:
        accept(invited.guardian)
        client = sign_in_guardian()
        response = switch(client, invited.liam)
        assert response.status_code == 404 and NOT_LINKED in response.content.decode()
        assert SESSION_CHILD not in client.session
        assert not AuditEvent.objects.filter(action="family.switch").exists()

    def test_it_switches_by_post_and_keeps_the_child_out_of_the_url(
        self, family: Family, sign_in_guardian: SignIn
    ) -> None:
        client = sign_in_guardian()
        assert client.get("/portal/family/switch/").status_code == 405
        response = switch(client, family.liam)
        assert response.status_code == 302 and response["Location"] == "/portal/"
        assert client.session[SESSION_CHILD] == family.liam.public_id.hex
        event = AuditEvent.objects.get(action="family.switch")
        assert event.detail["child"] == family.liam.public_id.hex

    def test_switching_needs_the_csrf_token(self, family: Family) -> None:
        client = Client(enforce_csrf_checks=True)
        client.post(LOGIN, {"email": PARENT_EMAIL, "password": GUARDIAN_PASSWORD})
        assert switch(client, family.emma).status_code == 403

    def test_it_never_switches_to_another_practices_child(
        self, family: Family, sign_in_guardian: SignIn, riverside: Practice, make_profile: Any
    ) -> None:
        rita = make_profile(riverside, "Rita", "Rivers", email=PARENT_EMAIL)
        # Even a link row written past the actions does not open her.
        GuardianLink.objects.create(
            practice=riverside,
            guardian=family.guardian,
            profile=rita,
            confirmed_at=family.link(family.emma).confirmed_at,
        )
        assert rita not in children(family.guardian)
        client = sign_in_guardian()
        response = switch(client, rita)
        assert response.status_code == 404 and NOT_LINKED in response.content.decode()
        assert "Rita" not in response.content.decode()

    def test_a_portal_page_before_choosing_goes_to_the_switcher(
        self, family: Family, sign_in_guardian: SignIn
    ) -> None:
        client = sign_in_guardian()
        assert client.get("/portal/prizes/")["Location"] == CHOOSE


class TestActingForAChild:
    def test_the_childs_pages_show_the_childs_data_audited_as_the_guardian(
        self, family: Family, sign_in_guardian: SignIn
    ) -> None:
        client = sign_in_guardian()
        switch(client, family.emma)
        home = client.get("/portal/").content.decode()
        assert "You are looking at Emma’s rewards." in home and "Switch to Liam" in home
        assert ">40</span>" in home
        for page in ("/portal/prizes/", "/portal/history/", "/portal/orders/"):
            assert client.get(page).status_code == 200, page
        views = AuditEvent.objects.filter(action="portal.view", profile=family.emma)
        assert set(views.values_list("detail__page", flat=True)) >= {
            "home",
            "store",
            "history",
            "orders",
        }
        assert set(views.values_list("actor_label", flat=True)) == {
            f"Parent or guardian ({PARENT_EMAIL})"
        }

    def test_it_orders_for_the_chosen_child_only(
        self, family: Family, sign_in_guardian: SignIn
    ) -> None:
        comic = Prize.objects.create(practice=family.emma.practice, name="Comic book", cost=10)
        client = sign_in_guardian()
        switch(client, family.liam)
        confirm = client.get(f"/portal/prizes/{comic.public_id}/order/")
        token = confirm.context["form"].initial["token"]
        response = client.post(f"/portal/prizes/{comic.public_id}/order/", {"token": token})
        assert response.status_code == 302 and response["Location"] == "/portal/orders/"
        assert _balance(family.liam) == 15 and _balance(family.emma) == 40
        order = PrizeOrder.objects.get()
        assert order.profile_id == family.liam.pk
        entry = LedgerEntry.objects.get(profile=family.liam, points=-10)
        assert entry.actor_label == f"Parent or guardian ({PARENT_EMAIL})"

    def test_a_removed_link_is_refused_on_the_next_request(
        self, family: Family, sign_in_guardian: SignIn, owner: Any
    ) -> None:
        client = sign_in_guardian()
        switch(client, family.emma)
        assert client.get("/portal/").status_code == 200
        remove_link(
            practice=family.emma.practice, link=family.link(family.emma), actor=staff_actor(owner)
        )
        assert client.get("/portal/")["Location"] == CHOOSE
        assert SESSION_CHILD not in client.session
        page = client.get(CHOOSE).content.decode()
        assert "Open Liam’s rewards" in page and "Emma" not in page
        assert switch(client, family.emma).status_code == 404

    def test_logging_out_ends_the_guardians_session(
        self, family: Family, sign_in_guardian: SignIn
    ) -> None:
        client = sign_in_guardian()
        switch(client, family.emma)
        client.post("/portal/logout/")
        assert SESSION_GUARDIAN not in client.session
        assert client.get("/portal/")["Location"] == "/portal/login/"
