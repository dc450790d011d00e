"""Mail for a Spanish-speaking patient, sent by the real worker (or the reset page)
to a real SMTP server in the test process: subject, plain text and HTML all in
Spanish, with none of the catalogue's English left."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client
from tests.conftest import SYSTEM
from tests.i18n.catalogue import english_in, visible_text
from tests.notify.conftest import EMMA_EMAIL, PUBLIC_URL, Inbox, award, opt_in, work

from rewardshub.notify import kinds
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize, RewardCategory, RewardItem
from rewardshub.points.orders import cancel_order, order_prize
from rewardshub.portal.actions import set_language
from rewardshub.practices.models import Practice

pytestmark = pytest.mark.django_db(transaction=True)


def _one(inbox: Inbox) -> EmailMessage:
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    return inbox.messages[0]


def _all_spanish(message: EmailMessage) -> tuple[str, str]:
    """The text and the HTML's visible text, once each part is checked for English."""
    text, html = Inbox.text(message), Inbox.html(message)
    assert '<html lang="es">' in html
    shown = visible_text(html)
    assert english_in(str(message["Subject"])) == []
    assert english_in(text) == [], text
    assert english_in(shown) == [], shown
    return text, shown


@pytest.fixture
def visit(acworth: Practice) -> list[RewardItem]:
    """Menu items named as a practice serving Spanish speakers might name them."""
    category = RewardCategory.objects.create(practice=acworth, name="Visita")
    return [
        RewardItem.objects.create(practice=acworth, category=category, name=name, points=points)
        for name, points in (("Ligas puestas", 10), ("Cepillado excelente", 20))
    ]


def test_it_mails_the_points_earned_in_spanish(
    emma: Profile, visit: list[RewardItem], inbox: Inbox
) -> None:
    set_language(profile=emma, language="es", actor=SYSTEM)
    opt_in(emma, kinds.POINTS_EARNED)
    award(emma, *visit)

    work()

    message = _one(inbox)
    assert message["Subject"] == "Ganaste 30 puntos en Acworth Orthodontics"
    text, shown = _all_spanish(message)
    assert "Hola, Emma:" in text
    assert "+10  Ligas puestas" in text and "+20  Cepillado excelente" in text
    assert f"Ahora tu saldo es de 30 puntos. Ver tus premios: {PUBLIC_URL}/portal/" in text
    assert (
        "Recibes este correo porque le pediste a Acworth Orthodontics correos de “Puntos ganados”."
    ) in text
    assert "Ahora tu saldo es de 30 puntos." in shown and "Dejar de recibir estos correos" in shown


def test_it_mails_a_cancelled_order_in_spanish(
    acworth: Practice, emma: Profile, visit: list[RewardItem], inbox: Inbox
) -> None:
    set_language(profile=emma, language="es", actor=SYSTEM)
    opt_in(emma, kinds.ORDER_CANCELLED)
    award(emma, visit[1])
    prize = Prize.objects.create(practice=acworth, name="Yoyo brillante", cost=1)
    order = order_prize(practice=acworth, profile=emma, prize=prize, actor=SYSTEM)

    cancel_order(practice=acworth, order=order, actor=SYSTEM, reason="Se agotó hasta mayo")
    work()

    message = _one(inbox)
    assert message["Subject"] == "Se canceló tu pedido de Yoyo brillante"
    text, shown = _all_spanish(message)
    assert "El motivo: Se agotó hasta mayo" in text
    # One point: the word agrees with the number.
    assert "Te devolvimos lo que costaba (1 punto): ahora tu saldo es de 20 puntos." in text
    assert "Elige otro premio" in shown


def test_a_reset_asked_for_from_a_spanish_browser_comes_in_spanish(
    emma: Profile, inbox: Inbox
) -> None:
    # Emma never chose a language: the browser's is the one she reads.
    response = Client().post(
        "/portal/password/forgot/", {"email": EMMA_EMAIL}, HTTP_ACCEPT_LANGUAGE="es-419,es;q=0.9"
    )
    assert response.status_code == 200 and response["Content-Language"] == "es"

    message = _one(inbox)
    assert message["Subject"] == "Tu contraseña de premios de Acworth Orthodontics"
    text, shown = _all_spanish(message)
    assert "funciona una sola vez, durante 60 minutos" in text
    assert "/portal/password/reset/" in text and "Elige una contraseña nueva" in shown


def test_a_patient_who_chose_english_gets_english_from_a_spanish_browser(
    emma: Profile, inbox: Inbox
) -> None:
    set_language(profile=emma, language="en", actor=SYSTEM)
    Client().post("/portal/password/forgot/", {"email": EMMA_EMAIL}, HTTP_ACCEPT_LANGUAGE="es")

    message = _one(inbox)
    assert message["Subject"] == "Your Acworth Orthodontics rewards password"
    assert '<html lang="en">' in Inbox.html(message)
