"""Issue 15, item 4, Must show: the portal in Spanish on a 390 px phone.

A browser that asks for Spanish (Accept-Language es) opens the portal: the
log-in and every page after it are in Spanish with none of the catalogue's
English, and none is wider than the phone. The patient switches to English
on the Language page and back to Spanish; each choice is stored on the
profile and the pages follow it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.browser.test_portal_progress_browser import PASSWORD
from tests.browser.test_portal_progress_browser import emma as portal_patient
from tests.i18n.catalogue import english_in

from rewardshub.audit.actors import Actor
from rewardshub.patients.models import Profile
from rewardshub.points.models import Prize
from rewardshub.points.orders import order_prize
from rewardshub.practices.models import Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYSTEM = Actor.system("tests")
PHONE = {"width": 390, "height": 844}
PAGES = ("/portal/", "/portal/prizes/", "/portal/orders/", "/portal/history/", "/portal/language/")


# A patient with a portal account and 120 points (the progress bar's test patient).
emma = portal_patient


@pytest.fixture
def patient(acworth: Practice, emma: Profile) -> Profile:
    """Emma with prizes to aim for, named as a practice serving Spanish speakers may
    name them, and an order to pick up."""
    for name, cost in (
        ("Calcomanías", 5),
        ("Audífonos inalámbricos con estuche", 150),
        ("Patineta", 400),
    ):
        Prize.objects.create(practice=acworth, name=name, cost=cost)
    sticker = Prize.objects.get(practice=acworth, name="Calcomanías")
    order_prize(practice=acworth, profile=emma, prize=sticker, actor=SYSTEM)
    emma.refresh_from_db()
    return emma


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Page]:
    # A phone set to Spanish: Chromium sends Accept-Language from the locale.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="es-MX")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _fits(page: Page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def _spanish(page: Page) -> None:
    assert page.get_attribute("html", "lang") == "es"
    assert english_in(page.inner_text("body")) == []
    assert english_in(page.title()) == []


def _language(profile: Profile) -> str:
    profile.refresh_from_db(fields=["language"])
    return profile.language


def test_the_portal_speaks_spanish_on_a_phone_and_keeps_the_patients_choice(
    phone: Page, patient: Profile
) -> None:
    page = phone
    page.goto("/portal/login/")
    expect(page.get_by_role("heading", name="¡Hola!")).to_be_visible()
    _spanish(page)
    _fits(page)
    page.get_by_label("Número de tarjeta o nombre de usuario").fill(patient.username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/portal/")
    expect(page.get_by_text("¡Sigue así, lo estás haciendo muy bien!")).to_be_visible()

    for path in PAGES:
        page.goto(path)
        _spanish(page)
        _fits(page)
    assert _language(patient) == ""  # the browser's language so far, nothing stored

    # To English and back, on the Language page (reached from the menu).
    page.goto("/portal/")
    page.get_by_role("navigation").get_by_role("link", name="Idioma").click()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Your language is saved.")).to_be_visible()
    assert page.get_attribute("html", "lang") == "en"
    assert _language(patient) == "en"
    page.goto("/portal/")
    expect(page.get_by_text("Keep up the great work!")).to_be_visible()
    _fits(page)

    page.get_by_role("navigation").get_by_role("link", name="Language").click()
    page.get_by_label("Español").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Tu idioma quedó guardado.")).to_be_visible()
    assert _language(patient) == "es"
    _spanish(page)
    _fits(page)
