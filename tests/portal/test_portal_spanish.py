"""The portal in Spanish: every page a patient opens shows none of the catalogue's
English; the language comes from the profile once chosen, from the browser
before that; the Language page stores the choice (audited); staff pages stay
English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from tests.i18n.catalogue import english_in, visible_text
from tests.qr import new_qr_code

from rewardshub.audit.models import AuditEvent
from rewardshub.notify.actions import set_preferences
from rewardshub.notify.models import MailPreference
from rewardshub.notify.tokens import make_token
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.points.orders import cancel_order, order_prize
from rewardshub.portal.reset import make_token as reset_token
from rewardshub.practices.models import Practice

from .conftest import LOGIN, NEW_PASSWORD, SYSTEM, Patient

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9,en;q=0.5"}
LANGUAGE = "/portal/language/"


def _spanish_page(response: Any) -> str:
    """The page's visible text, after checking it is a Spanish page with no English left."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Language"] == "es"
    html = response.content.decode()
    assert '<html lang="es">' in html
    text = visible_text(html)
    assert english_in(text) == [], text
    return text


@pytest.fixture
def in_spanish(
    portal_client: Client,
    activated: Patient,
    give_points: Callable[[Profile, int], None],
    prizes: dict[str, Prize],
) -> Client:
    """A patient with points, history over two pages, an order to pick up and a
    cancelled one, who chose Spanish on the Language page."""
    for points in range(1, 23):
        give_points(activated.profile, points)
    profile = activated.profile
    order_prize(practice=profile.practice, profile=profile, prize=prizes["sticker"], actor=SYSTEM)
    gone = order_prize(
        practice=profile.practice, profile=profile, prize=prizes["sticker"], actor=SYSTEM
    )
    cancel_order(practice=profile.practice, order=gone, actor=SYSTEM, reason="")
    response = portal_client.post(LANGUAGE, {"language": "es"})
    assert response.status_code == 302
    return portal_client


class TestPagesInSpanish:
    def test_it_shows_home_store_orders_and_history_in_spanish(self, in_spanish: Client) -> None:
        home = _spanish_page(in_spanish.get("/portal/"))
        assert "Premios" in home and "Mis pedidos" in home
        assert "Próximo premio: Headphones" in home
        store = _spanish_page(in_spanish.get("/portal/prizes/"))
        assert "Agotado" in store and "Te faltan" in store
        _spanish_page(in_spanish.get("/portal/orders/"))
        history = _spanish_page(in_spanish.get("/portal/history/"))
        assert "Página 1 de 2" in history
        _spanish_page(in_spanish.get("/portal/history/?page=2"))

    def test_it_shows_the_order_pages_in_spanish(
        self, in_spanish: Client, prizes: dict[str, Prize]
    ) -> None:
        can = _spanish_page(in_spanish.get(f"/portal/prizes/{prizes['sticker'].public_id}/order/"))
        assert "Sí, pedirlo" in can
        cannot = in_spanish.get(f"/portal/prizes/{prizes['headphones'].public_id}/order/")
        assert "así que todavía no puedes canjear este premio" in _spanish_page(cannot)

    def test_it_shows_the_language_email_and_refer_pages_in_spanish(
        self, in_spanish: Client, activated: Patient
    ) -> None:
        language = _spanish_page(in_spanish.get(LANGUAGE))
        assert "Idioma" in language and "English" in language and "Español" in language
        _spanish_page(in_spanish.get("/portal/mail/"))
        _spanish_page(in_spanish.get("/portal/refer/"))
        set_preferences(profile=activated.profile, wanted={"birthday": True}, actor=SYSTEM)
        preference = MailPreference.objects.get(profile=activated.profile)
        link = f"/mail/unsubscribe/{make_token(preference, 'birthday')}/"
        unsubscribed = _spanish_page(Client().get(link))
        assert "Saludo de cumpleaños" in unsubscribed

    def test_it_shows_a_qr_code_and_its_refusal_in_spanish(
        self, in_spanish: Client, acworth: Practice
    ) -> None:
        code = new_qr_code(acworth, label="Reseña en redes sociales")
        path = f"/portal/collect/{code.token}/"
        assert "Reunir 10 puntos" in _spanish_page(in_spanish.get(path))
        collected = in_spanish.post(path, follow=True)
        assert "¡Reuniste 10 puntos por “Reseña en redes sociales”!" in _spanish_page(collected)
        again = in_spanish.get(path)
        assert again.status_code == 200
        assert "Ya lo reuniste el" in _spanish_page(again)

    def test_it_says_a_flash_message_in_spanish(
        self, in_spanish: Client, prizes: dict[str, Prize]
    ) -> None:
        response = in_spanish.post(
            f"/portal/prizes/{prizes['sticker'].public_id}/order/",
            {"token": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
            follow=True,
        )
        assert "¡Pediste “Sticker pack”!" in _spanish_page(response)

    def test_it_shows_the_pages_before_log_in_in_the_browsers_language(
        self, client: Client, activated: Patient
    ) -> None:
        login = _spanish_page(client.get(LOGIN, **SPANISH))
        assert "Iniciar sesión" in login
        assert "Accept-Language" in client.get(LOGIN, **SPANISH)["Vary"]
        wrong = client.post(
            LOGIN, {"identifier": activated.username, "password": "nope"}, **SPANISH
        )
        assert wrong.status_code == 401
        assert "El número de tarjeta o la contraseña no son correctos." in visible_text(
            wrong.content.decode()
        )
        _spanish_page(client.get("/portal/password/forgot/", **SPANISH))
        sent = client.post("/portal/password/forgot/", {"email": "nobody@example.com"}, **SPANISH)
        _spanish_page(sent)
        account = activated.profile.portal_account
        _spanish_page(client.get(f"/portal/password/reset/{reset_token(account)}/", **SPANISH))
        invalid = client.get("/portal/password/reset/not-a-token/", **SPANISH)
        assert invalid.status_code == 400
        assert english_in(visible_text(invalid.content.decode())) == []


class TestWhichLanguage:
    def test_it_speaks_english_without_a_choice_or_a_spanish_browser(self, client: Client) -> None:
        response = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="fr-FR,de;q=0.8")
        assert response["Content-Language"] == "en"
        assert "Forgot your password?" in response.content.decode()

    def test_the_profiles_choice_wins_over_the_browser(
        self, portal_client: Client, activated: Patient
    ) -> None:
        assert portal_client.get("/portal/", **SPANISH)["Content-Language"] == "es"
        Profile.objects.filter(pk=activated.profile.pk).update(language="en")
        response = portal_client.get("/portal/", **SPANISH)
        assert response["Content-Language"] == "en"
        assert "Keep up the great work!" in response.content.decode()

    def test_it_keeps_staff_pages_in_english(self, owner_client: Client) -> None:
        response = owner_client.post("/patients/add/", {}, **SPANISH)
        html = response.content.decode()
        assert "This field is required." in html
        assert "Este campo es obligatorio" not in html
        assert "Content-Language" not in response


class TestLanguagePage:
    def test_it_stores_the_choice_on_the_profile_and_audits_it(
        self, portal_client: Client, activated: Patient
    ) -> None:
        response = portal_client.post(LANGUAGE, {"language": "es"}, follow=True)
        assert response.redirect_chain == [(LANGUAGE, 302)]
        assert "Tu idioma quedó guardado." in response.content.decode()
        activated.profile.refresh_from_db()
        assert activated.profile.language == "es"
        event = AuditEvent.objects.get(action="portal.language")
        assert (event.profile_id, event.actor_kind) == (activated.profile.pk, "patient")
        assert event.detail == {"from": "", "to": "es"}

    def test_it_says_when_nothing_changed(self, portal_client: Client) -> None:
        portal_client.post(LANGUAGE, {"language": "en"})
        again = portal_client.post(LANGUAGE, {"language": "en"}, follow=True)
        assert "Nothing changed." in again.content.decode()
        assert AuditEvent.objects.filter(action="portal.language").count() == 1

    def test_it_refuses_a_language_it_does_not_speak_and_changes_nothing(
        self, portal_client: Client, activated: Patient
    ) -> None:
        response = portal_client.post(LANGUAGE, {"language": "fr"})
        assert response.status_code == 422
        assert "Choose a language from the list. Nothing was changed." in response.content.decode()
        activated.profile.refresh_from_db()
        assert activated.profile.language == ""
        assert not AuditEvent.objects.filter(action="portal.language").exists()

    def test_it_needs_the_forms_csrf_token(self, activated: Patient) -> None:
        client = Client(enforce_csrf_checks=True)
        client.get(LOGIN)
        signed_in = client.post(
            LOGIN,
            {
                "identifier": activated.username,
                "password": NEW_PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            },
        )
        assert signed_in.status_code == 302
        assert client.post(LANGUAGE, {"language": "es"}).status_code == 403
        activated.profile.refresh_from_db()
        assert activated.profile.language == ""

    def test_it_sends_strangers_to_the_login(self, client: Client) -> None:
        assert client.get(LANGUAGE)["Location"] == LOGIN
        assert client.post(LANGUAGE, {"language": "es"})["Location"] == LOGIN
