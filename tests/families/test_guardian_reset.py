"""A guardian's forgotten password: the mailed link, its one use, its practice, the same
answer and work for any email, the per-address limit and CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from tests.portal.test_same_work import _work
from tests.work_count import hash_calls

from rewardshub.audit.models import AuditEvent
from rewardshub.errors import ActionError
from rewardshub.families.actions import invite_guardian, reset_password
from rewardshub.families.models import Guardian
from rewardshub.families.session import SESSION_GUARDIAN
from rewardshub.families.tokens import make_token
from rewardshub.families.views_reset import forgot_view
from rewardshub.practices.models import Practice

from .conftest import GUARDIAN_PASSWORD, LOGIN, PARENT_EMAIL, SYSTEM, Family, accept

__all__ = ["hash_calls"]  # the fixture, used by name below
FORGOT = "/portal/family/forgot/"
SENT = "If a parent or guardian signs in with that email"
INVALID = "This link doesn’t work any more"
NEW_PASSWORD = "a-fresh-family-password-9"
LINK = re.compile(r"http://testserver(/portal/family/reset/[^/\s]+/)")


def _links(practice_name: str = "Acworth Orthodontics") -> list[str]:
    """The reset links mailed for that practice's guardian, oldest first."""
    subject = f"Your {practice_name} rewards password"
    found = [LINK.search(str(m.body)) for m in mail.outbox if m.subject == subject]
    return [match.group(1) for match in found if match is not None]


def _ask(client: Client, email: str = PARENT_EMAIL) -> Any:
    response = client.post(FORGOT, {"email": email})
    assert response.status_code == 200
    assert SENT in response.content.decode()
    return response


def _choose(client: Client, path: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(path, {"password1": password, "password2": password})


def _signs_in(email: str, password: str) -> bool:
    return Client().post(LOGIN, {"email": email, "password": password}).status_code == 302


class TestRequest:
    def test_the_sign_in_page_leads_to_it(self, client: Client) -> None:
        assert f'href="{FORGOT}"' in client.get(LOGIN).content.decode()
        assert "Forgot your password?" in client.get(FORGOT).content.decode()

    def test_it_mails_a_link_without_the_guardians_data(
        self, family: Family, client: Client
    ) -> None:
        _ask(client, "  Jordan.PARENT@family.test ")
        assert [m.to for m in mail.outbox] == [[PARENT_EMAIL]]
        message = mail.outbox[0]
        assert "Hi jordan.parent," in message.body
        assert "it works once, for 60 minutes" in message.body
        assert "List-Unsubscribe" not in message.extra_headers
        (path,) = _links()
        assert "jordan" not in path.lower() and str(family.guardian.pk) not in path.split("/")
        event = AuditEvent.objects.get(action="family.reset_request")
        assert (event.practice_id, event.outcome) == (family.guardian.practice_id, "ok")
        assert event.detail == {"guardian": family.guardian.public_id.hex}

    def test_it_writes_the_mail_in_the_browsers_language(
        self, family: Family, client: Client
    ) -> None:
        page = client.post(FORGOT, {"email": PARENT_EMAIL}, HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
        assert "Si ese correo es el de un padre" in page.content.decode()
        assert "Hola, jordan.parent:" in mail.outbox[0].body

    def test_an_unverified_or_unknown_email_gets_the_same_page_and_no_mail(
        self, invited: Family, client: Client
    ) -> None:
        for email in (PARENT_EMAIL, "nobody@family.test"):
            _ask(client, email)
        assert mail.outbox == []
        events = AuditEvent.objects.filter(action="family.reset_request")
        assert [(e.practice_id, e.outcome, e.detail) for e in events] == [
            (None, "failed", {"reason": "no_account"})
        ] * 2

    def test_known_unverified_and_unknown_emails_cost_the_same(
        self, family: Family, riverside: Practice, make_profile: Any, hash_calls: list[str]
    ) -> None:
        # An invited guardian at another practice who never chose a password.
        rita = make_profile(riverside, "Rita", "Rivers")
        invite_guardian(
            practice=riverside, profile=rita, email="rita.parent@family.test", actor=SYSTEM
        )

        def ask(email: str) -> Callable[[Client], Any]:
            return lambda client: _ask(client, email)

        _work(hash_calls, ask("warm@family.test"))
        known = _work(hash_calls, ask(PARENT_EMAIL))
        unverified = _work(hash_calls, ask("rita.parent@family.test"))
        unknown = _work(hash_calls, ask("nobody@family.test"))
        assert known == unverified == unknown
        assert [m.to for m in mail.outbox] == [[PARENT_EMAIL]]

    def test_the_mail_goes_out_after_the_page(self, family: Family) -> None:
        request = RequestFactory().post(FORGOT, {"email": PARENT_EMAIL})
        request.session = Client().session
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        response = forgot_view(request)
        assert response.status_code == 200 and mail.outbox == []
        response.close()  # what the WSGI server calls once the page is sent
        assert [m.to for m in mail.outbox] == [[PARENT_EMAIL]]

    def test_it_mails_ten_times_an_hour_from_one_address_in_its_own_count(
        self, family: Family, client: Client
    ) -> None:
        for _ in range(11):
            _ask(client)
        assert len(mail.outbox) == 10
        assert AuditEvent.objects.filter(action="family.reset_request").count() == 10
        # The patients' reset counts apart: this address may still ask for theirs.
        client.post("/portal/password/forgot/", {"email": "someone@example.com"})
        assert AuditEvent.objects.filter(action="portal.reset_request").count() == 1

    def test_it_needs_the_csrf_token(self, family: Family) -> None:
        client = Client(enforce_csrf_checks=True)
        assert client.post(FORGOT, {"email": PARENT_EMAIL}).status_code == 403
        assert mail.outbox == []
        assert not AuditEvent.objects.filter(action="family.reset_request").exists()


class TestReset:
    def test_the_link_sets_a_new_password_once(self, family: Family, client: Client) -> None:
        _ask(client)
        (path,) = _links()
        form = client.get(path)
        assert form.status_code == 200 and "Choose a new password" in form.content.decode()
        done = _choose(client, path)
        assert done.status_code == 302 and done["Location"] == LOGIN
        page = client.get(LOGIN).content.decode()
        assert "Your password is changed. Sign in with it now." in page
        assert _signs_in(PARENT_EMAIL, NEW_PASSWORD)
        assert not _signs_in(PARENT_EMAIL, GUARDIAN_PASSWORD)
        event = AuditEvent.objects.get(action="family.reset")
        assert event.detail == {"guardian": family.guardian.public_id.hex}
        # Used: the page and a second POST both refuse it.
        for again in (client.get(path), _choose(client, path, "yet-another-password-3")):
            assert again.status_code == 400 and INVALID in again.content.decode()
        assert _signs_in(PARENT_EMAIL, NEW_PASSWORD)

    def test_it_ends_the_guardians_sessions(
        self, family: Family, sign_in_guardian: Callable[..., Client], client: Client
    ) -> None:
        signed_in = sign_in_guardian()
        _ask(client)
        _choose(client, _links()[0])
        assert SESSION_GUARDIAN not in client.session
        assert signed_in.get("/portal/family/")["Location"] == LOGIN

    def test_it_ends_the_email_lockout(self, family: Family, client: Client) -> None:
        for n in range(5):
            client.post(LOGIN, {"email": PARENT_EMAIL, "password": f"wrong-{n}"})
        _ask(client)
        _choose(client, _links()[0])
        assert _signs_in(PARENT_EMAIL, NEW_PASSWORD)

    def test_it_refuses_a_bad_password_and_changes_nothing(
        self, family: Family, client: Client
    ) -> None:
        _ask(client)
        path = _links()[0]
        response = client.post(path, {"password1": NEW_PASSWORD, "password2": "something-else"})
        assert response.status_code == 200
        assert "The two passwords are not the same." in response.content.decode()
        assert _signs_in(PARENT_EMAIL, GUARDIAN_PASSWORD)
        assert not AuditEvent.objects.filter(action="family.reset").exists()

    def test_it_refuses_a_tampered_link_and_an_invitation_link(
        self, family: Family, client: Client
    ) -> None:
        for token in ("not-a-token", make_token(family.guardian)):
            response = client.get(f"/portal/family/reset/{token}/")
            assert response.status_code == 400 and INVALID in response.content.decode()
            assert 'href="/portal/family/forgot/"' in response.content.decode()

    def test_the_link_needs_the_csrf_token(self, family: Family, client: Client) -> None:
        _ask(client)
        strict = Client(enforce_csrf_checks=True)
        assert _choose(strict, _links()[0]).status_code == 403
        assert _signs_in(PARENT_EMAIL, GUARDIAN_PASSWORD)

    def test_another_practices_link_changes_only_that_guardian(
        self, family: Family, riverside: Practice, make_profile: Any, client: Client
    ) -> None:
        rita = make_profile(riverside, "Rita", "Rivers")
        other = invite_guardian(practice=riverside, profile=rita, email=PARENT_EMAIL, actor=SYSTEM)
        accept(other.guardian, "riverside-password-42")
        _ask(client)
        assert len(mail.outbox) == 2
        (path,) = _links("Riverside Dental")
        _choose(client, path)
        acworth_guardian = Guardian.objects.get(pk=family.guardian.pk)
        assert acworth_guardian.check_password(GUARDIAN_PASSWORD)
        assert Guardian.objects.get(pk=other.guardian.pk).check_password(NEW_PASSWORD)
        # The new password signs in to Riverside's guardian, the old one still to Acworth's.
        for password, guardian in (
            (NEW_PASSWORD, other.guardian),
            (GUARDIAN_PASSWORD, family.guardian),
        ):
            signed_in = Client()
            signed_in.post(LOGIN, {"email": PARENT_EMAIL, "password": password})
            assert signed_in.session[SESSION_GUARDIAN] == guardian.pk
        event = AuditEvent.objects.get(action="family.reset")
        assert event.practice_id == riverside.pk


class TestResetAction:
    def test_a_link_sent_twice_at_once_changes_the_password_once(self, family: Family) -> None:
        # Both requests found the guardian by the link before either saved: the
        # second, under the row's lock, sees the password the link was not made for.
        found = Guardian.objects.get(pk=family.guardian.pk)
        reset_password(guardian=found, password=NEW_PASSWORD, actor=SYSTEM)
        with pytest.raises(ActionError) as refused:
            reset_password(guardian=found, password="the-second-one-22", actor=SYSTEM)
        assert refused.value.code == "link_used"
        assert Guardian.objects.get(pk=found.pk).check_password(NEW_PASSWORD)
        assert AuditEvent.objects.filter(action="family.reset").count() == 1
