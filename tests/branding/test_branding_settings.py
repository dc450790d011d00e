"""Settings > Branding through the real staff page: colours checked, the logo through the
prize pictures' checks, one audit row, and nothing changed by a refusal."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image
from tests.branding.conftest import ACCENT, PRIMARY, logo_png
from tests.points.test_prize_pictures import NOT_A_PICTURE, blank_png, upload

from rewardshub.audit.models import AuditEvent
from rewardshub.audit.wording import describe_action
from rewardshub.practices.models import Practice

URL = "/settings/branding/"
FORM = {"primary_colour": PRIMARY, "accent_colour": ACCENT}


def _errors(response: Any, field: str) -> list[str]:
    assert response.status_code == 422
    errors = [str(e) for e in response.context["form"].errors[field]]
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    for error in errors:
        assert error in page
    return errors


def _unchanged(practice: Practice) -> None:
    practice.refresh_from_db()
    assert (practice.primary_colour, practice.accent_colour, practice.logo.name) == ("", "", "")
    assert not AuditEvent.objects.filter(action="practice.branding").exists()


def test_it_shows_the_form_under_settings(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="/settings/branding/" aria-current="page">Branding</a>' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Remove the logo" not in page  # no logo yet


def test_it_saves_the_colours_and_the_logo_re_encoded(
    owner_client: Client, acworth: Practice
) -> None:
    response = owner_client.post(
        URL, {"primary_colour": "#0B5394", "accent_colour": "b45309", "logo": logo_png()}
    )
    assert response.status_code == 302
    assert response["Location"] == URL
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Branding saved."]
    acworth.refresh_from_db()
    assert (acworth.primary_colour, acworth.accent_colour) == (PRIMARY, ACCENT)
    # Stored as prize pictures are: a random name under logos/, in the default storage.
    name = acworth.logo.name
    assert name.startswith("logos/") and name.endswith(".png") and "our logo" not in name
    assert default_storage.exists(name)
    with default_storage.open(name) as handle:
        assert Image.open(handle).size == (300, 100)
    event = AuditEvent.objects.get(action="practice.branding")
    assert event.detail == {
        "fields": ["primary_colour", "accent_colour", "logo"],
        "primary_colour": PRIMARY,
        "accent_colour": ACCENT,
        "logo": "new",
    }
    assert event.actor_label == "owner"
    assert describe_action(event.action, event.outcome, event.detail) == (
        "Changed the branding: primary colour #0b5394, accent colour #b45309, new logo"
    )
    # The page now shows it, with the way to remove it.
    page = owner_client.get(URL).content.decode()
    assert 'src="/settings/branding/logo"' in page and "Remove the logo" in page
    served = owner_client.get("/settings/branding/logo")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


def test_a_big_logo_is_stored_at_most_1200_pixels_wide(
    owner_client: Client, acworth: Practice
) -> None:
    owner_client.post(URL, {**FORM, "logo": logo_png(size=(2400, 600))})
    acworth.refresh_from_db()
    with default_storage.open(acworth.logo.name) as handle:
        assert Image.open(handle).size == (1200, 300)


def test_a_new_logo_replaces_the_old_one_and_removing_it_deletes_it(
    owner_client: Client, branded: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    old = branded.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(URL, {**FORM, "logo": logo_png()})
    branded.refresh_from_db()
    assert branded.logo.name != old
    assert not default_storage.exists(old)
    new = branded.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(URL, {**FORM, "remove_logo": "on"})
    assert response.status_code == 302
    branded.refresh_from_db()
    assert branded.logo.name == ""
    assert not default_storage.exists(new)
    assert AuditEvent.objects.filter(action="practice.branding").latest("id").detail == {
        "fields": ["logo"],
        "logo": "removed",
    }


def test_empty_colours_go_back_to_the_hubs_own(owner_client: Client, branded: Practice) -> None:
    owner_client.post(URL, {"primary_colour": "", "accent_colour": " "})
    branded.refresh_from_db()
    assert (branded.primary_colour, branded.accent_colour) == ("", "")
    assert branded.logo  # untouched


def test_saving_the_same_values_changes_nothing(owner_client: Client, branded: Practice) -> None:
    before = AuditEvent.objects.count()
    response = owner_client.post(URL, FORM)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Nothing changed."]
    assert AuditEvent.objects.count() == before


def test_a_primary_colour_white_text_cannot_be_read_on_is_refused(
    owner_client: Client, acworth: Practice
) -> None:
    response = owner_client.post(URL, {"primary_colour": "#777777", "accent_colour": ACCENT})
    [error] = _errors(response, "primary_colour")
    assert error.startswith(
        "Text on the primary colour #777777 would be hard to read: white text on it has a "
        "contrast of 4.48:1 and near-black text (#1a1a1a) 3.89:1, and WCAG AA needs at least "
        "4.5:1 for text."
    )
    assert "The branding was not saved." in response.content.decode()
    _unchanged(acworth)


def test_767676_passes_with_white_text(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.post(URL, {"primary_colour": "#767676", "accent_colour": ""})
    assert response.status_code == 302
    acworth.refresh_from_db()
    assert acworth.primary_colour == "#767676"


def test_a_pale_accent_is_refused_with_its_ratio(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.post(
        URL, {"primary_colour": PRIMARY, "accent_colour": "#ffd966", "logo": logo_png()}
    )
    [error] = _errors(response, "accent_colour")
    assert error.startswith(
        "The accent colour #ffd966 against the portal's page background (#fff8ec) has a "
        "contrast of 1.29:1, and WCAG AA needs at least 3:1"
    )
    _unchanged(acworth)  # the good primary colour and the logo were not saved either


def test_what_is_not_a_colour_is_refused(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.post(URL, {"primary_colour": "navy", "accent_colour": ACCENT})
    assert _errors(response, "primary_colour") == [
        "“navy” is not a colour the hub can use. Write it as # and six hexadecimal digits, "
        "e.g. #1d4ed8, or leave it empty for the hub's own colours."
    ]
    _unchanged(acworth)


def test_a_file_that_is_not_a_picture_gets_the_prize_pictures_message(
    owner_client: Client, acworth: Practice
) -> None:
    response = owner_client.post(URL, {**FORM, "logo": upload("logo.png", b"not a png")})
    assert _errors(response, "logo") == [NOT_A_PICTURE]
    _unchanged(acworth)


def test_a_logo_too_big_to_decode_is_refused(owner_client: Client, acworth: Practice) -> None:
    response = owner_client.post(URL, {**FORM, "logo": upload("x.png", blank_png(12_000, 50))})
    [error] = _errors(response, "logo")
    assert error.startswith("The picture is 12,000 × 50 pixels (0.6 megapixels).")
    _unchanged(acworth)


def test_front_desk_staff_cannot_open_it(frontdesk_client: Client, acworth: Practice) -> None:
    assert frontdesk_client.get(URL).status_code == 403
    assert frontdesk_client.post(URL, FORM).status_code == 403
    assert frontdesk_client.get("/settings/branding/logo").status_code == 403
    _unchanged(acworth)


def test_another_practices_owner_sees_only_their_own(
    outsider_client: Client, branded: Practice
) -> None:
    assert outsider_client.get("/settings/branding/logo").status_code == 404
    page = outsider_client.get(URL).content.decode()
    assert PRIMARY not in page
    outsider_client.post(URL, {"primary_colour": "#000000", "accent_colour": ""})
    branded.refresh_from_db()
    assert branded.primary_colour == PRIMARY


def test_the_logo_reads_as_an_image(owner_client: Client, branded: Practice) -> None:
    response = owner_client.get("/settings/branding/logo")
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).format == "PNG"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
