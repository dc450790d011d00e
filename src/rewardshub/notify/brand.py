"""A practice's branding in its mails: the header in its primary colour, with its logo.

The logo travels inside the mail as an inline attachment named by a
Content-ID (`cid:`), not as an address on the hub. Mail programs block remote
pictures until the reader allows them, but show inline ones at once; the mail
makes no request to the hub when it is opened (nothing that tells when and
where a patient read it); and the logo shows even when the hub is reachable
only inside the office, as many self-hosted hubs are. The cost is the
picture's size in every mail: the stored copy is re-encoded, at most 1,200
pixels on its long side (points/prize_pictures.py). The staff preview, which
sends nothing, shows the same picture as a data: address.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.mime.image import MIMEImage

from django.core.mail import EmailMultiAlternatives

from rewardshub.branding.contrast import text_on
from rewardshub.points.prize_pictures import CONTENT_TYPES
from rewardshub.practices.models import Practice

# The hub's own mail header (templates/notify/mail/base.html before branding).
DEFAULT_PRIMARY = "#1d4ed8"
LOGO_CID = "practice-logo@rewardshub"


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class MailBrand:
    primary: str
    on_primary: str
    logo: Logo | None

    def values(self, *, preview: bool = False) -> dict[str, str]:
        """What the mail templates read: the header's colours and the logo's address."""
        logo_src = ""
        if self.logo is not None:
            inline = base64.b64encode(self.logo.data).decode()
            logo_src = (
                f"data:{self.logo.content_type};base64,{inline}" if preview else f"cid:{LOGO_CID}"
            )
        return {
            "brand_primary": self.primary,
            "brand_on_primary": self.on_primary,
            "logo_src": logo_src,
        }


def read_logo(practice: Practice) -> Logo | None:
    """The stored logo, read through the default storage; None without one (or when lost)."""
    if not practice.logo:
        return None
    content_type = CONTENT_TYPES.get(practice.logo.name.rsplit(".", 1)[-1].lower())
    if content_type is None:
        return None
    try:
        with practice.logo.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return None
    return Logo(data, content_type) if data else None


def mail_brand(practice: Practice) -> MailBrand:
    primary = practice.primary_colour or DEFAULT_PRIMARY
    return MailBrand(primary, text_on(primary) or "#ffffff", read_logo(practice))


def attach_logo(message: EmailMultiAlternatives, brand: MailBrand) -> None:
    """The logo as an inline part the HTML names by its Content-ID.

    The outer part becomes multipart/related (text and HTML alternatives, then
    the picture), as RFC 2387 has it for a page and the pictures it shows.
    """
    if brand.logo is None:
        return
    subtype = brand.logo.content_type.split("/", 1)[1]
    image = MIMEImage(brand.logo.data, _subtype=subtype)
    image.add_header("Content-ID", f"<{LOGO_CID}>")
    image.add_header("Content-Disposition", "inline", filename=f"logo.{subtype}")
    message.attach(image)
    message.mixed_subtype = "related"
