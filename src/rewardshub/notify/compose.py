"""A patient mail from its templates: subject, plain text and HTML, in the practice's name.

Templates live at templates/notify/mail/<kind>.txt, <kind>.html and
<kind>_subject.txt, on the layouts base.txt and base.html; the staff preview
(Settings > Patient mail) renders the same templates with sample values.
The sender is the practice's name with the hub's address
(REWARDSHUB_EMAIL_FROM). An opt-in mail carries its unsubscribe link in the
footer and as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058), so a
mail program's own Unsubscribe button works with one click; a transactional
mail carries neither. A mail is written in the patient's language
(Profile.language, chosen in the portal), English until they choose one.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from rewardshub.notify.brand import MailBrand, attach_logo, mail_brand
from rewardshub.notify.kinds import KINDS
from rewardshub.practices.models import Practice
from rewardshub.practices.reads import practice_zone

# Where links point when REWARDSHUB_PUBLIC_URL is not set (a development hub).
DEVELOPMENT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    sender: str
    headers: dict[str, str]


def site_url(path: str) -> str:
    """An absolute link for a mail: no request to take the host from."""
    return (settings.PUBLIC_URL or DEVELOPMENT_URL).rstrip("/") + path


def sender(practice: Practice) -> str:
    """'Acworth Orthodontics <rewards@hub.example>': the practice's name, the hub's address."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "rewards@localhost"
    return formataddr((practice.name, address))


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def render_mail(
    kind: str,
    practice: Practice,
    context: dict[str, Any],
    *,
    unsubscribe_url: str = "",
    language: str = "",
    brand: MailBrand | None = None,
    preview: bool = False,
) -> RenderedMail:
    """The mail's parts, in `language` (the patient's; blank: the one active now); an
    opt-in kind must come with its unsubscribe link. The practice's branding
    (notify/brand.py): the logo by its Content-ID, or inline for a `preview`."""
    known = KINDS[kind]
    if not known.transactional and not unsubscribe_url:
        raise ValueError(f"A {kind} mail needs its unsubscribe link.")
    values = {
        **(brand or mail_brand(practice)).values(preview=preview),
        "practice_name": practice.name,
        "kind": known,
        "portal_url": site_url(reverse("portal:home")),
        "preferences_url": site_url(reverse("portal_mail:preferences")),
        "unsubscribe_url": "" if known.transactional else unsubscribe_url,
        **context,
    }
    # Dates and times in a mail read in the practice's zone, as on its pages.
    with (
        timezone.override(practice_zone(practice)),
        translation.override(language or translation.get_language()),
    ):
        subject = render_to_string(f"notify/mail/{kind}_subject.txt", values)
        text = render_to_string(f"notify/mail/{kind}.txt", values)
        html = render_to_string(f"notify/mail/{kind}.html", values)
    headers = {"Auto-Submitted": "auto-generated"}
    if values["unsubscribe_url"]:
        headers.update(unsubscribe_headers(values["unsubscribe_url"]))
    return RenderedMail(
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        html=html,
        sender=sender(practice),
        headers=headers,
    )


def build_message(
    kind: str,
    practice: Practice,
    to: str,
    context: dict[str, Any],
    *,
    unsubscribe_url: str = "",
    language: str = "",
) -> EmailMultiAlternatives:
    brand = mail_brand(practice)
    mail = render_mail(
        kind, practice, context, unsubscribe_url=unsubscribe_url, language=language, brand=brand
    )
    message = EmailMultiAlternatives(
        subject=mail.subject, body=mail.text, from_email=mail.sender, to=[to], headers=mail.headers
    )
    message.attach_alternative(mail.html, "text/html")
    attach_logo(message, brand)
    return message
