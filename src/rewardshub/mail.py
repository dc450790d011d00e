"""Outgoing mail (portal password resets): SMTP from one URL, or private files.

`REWARDSHUB_EMAIL_URL` names the SMTP server in one value, parsed by
django-environ: `smtp://host:25`, `smtp+tls://user:password@host:587`
(STARTTLS) or `smtp+ssl://user:password@host:465`. Unset (or `file://`), mail
is written to one file per message under `var/mail/` (mode 0600) and only the
file's path is logged: a reset email carries a live link, so its text never
goes to a log. There is no console backend for the same reason. A production
hub refuses the file backend unless the operator asks for it explicitly.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from rewardshub.files import PRIVATE_FILE

logger = logging.getLogger(__name__)

SMTP = "django.core.mail.backends.smtp.EmailBackend"
FILES = "rewardshub.mail.FileBackend"
EXAMPLE = "smtp+tls://user:password@mail.example.com:587"
DEFAULT_PORTS = {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}
FILES_IN_PRODUCTION = "REWARDSHUB_EMAIL_FILES_IN_PRODUCTION"


@dataclass(frozen=True)
class MailSettings:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


def _shown(url: str) -> str:
    """The URL as an error message may print it: without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def mail_settings(
    url: str, *, mail_dir: Path, production: bool, files_in_production: bool
) -> MailSettings:
    """The mail settings for REWARDSHUB_EMAIL_URL; ImproperlyConfigured says what is wrong."""
    url = url.strip()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if not url or scheme == "file":
        path = urlsplit(url).path if url else ""
        chosen = Path(path) if path not in ("", "/") else mail_dir
        if production and not files_in_production:
            raise ImproperlyConfigured(
                "REWARDSHUB_PRODUCTION is on but no mail server is set: reset emails would be "
                f"written to files under {chosen} and never reach patients. Set "
                f"REWARDSHUB_EMAIL_URL to your SMTP server, e.g. {EXAMPLE}, or set "
                f"{FILES_IN_PRODUCTION}=true to keep mail in files on purpose."
            )
        return MailSettings(backend=FILES, file_path=str(chosen))
    if scheme in ("console", "consolemail"):
        raise ImproperlyConfigured(
            "REWARDSHUB_EMAIL_URL: the console backend prints every message, with its live "
            "reset link, to the log; the hub does not offer it. Leave REWARDSHUB_EMAIL_URL "
            f"unset to write mail to files under var/mail/, or name an SMTP server: {EXAMPLE}"
        )
    if scheme not in DEFAULT_PORTS:
        raise ImproperlyConfigured(
            f"REWARDSHUB_EMAIL_URL must start with smtp://, smtp+tls:// or smtp+ssl:// "
            f"(or file:// for files), not {_shown(url)!r}. Example: {EXAMPLE}"
        )
    import environ  # django-environ: only its URL parser

    try:
        parsed: dict[str, Any] = environ.Env.email_url_config(url)
    except (ValueError, ImproperlyConfigured):
        raise ImproperlyConfigured(
            f"REWARDSHUB_EMAIL_URL {_shown(url)!r} has a port that is not a number from 1 to "
            f"65535. Write it as {EXAMPLE}."
        ) from None
    parts = urlsplit(url)
    port = parsed.get("EMAIL_PORT") or DEFAULT_PORTS[scheme]
    if not parsed.get("EMAIL_HOST"):
        raise ImproperlyConfigured(
            f"REWARDSHUB_EMAIL_URL {_shown(url)!r} names no mail server. Write it as {EXAMPLE}."
        )
    if not 0 < int(port) < 65536:
        raise ImproperlyConfigured(
            f"REWARDSHUB_EMAIL_URL {_shown(url)!r} has a port that is not a number from 1 to "
            f"65535. Write it as {EXAMPLE}."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"REWARDSHUB_EMAIL_URL {_shown(url)!r} has more than a server address; remove "
            f"what follows the port. Write it as {EXAMPLE}."
        )
    user, password = parsed.get("EMAIL_HOST_USER") or "", parsed.get("EMAIL_HOST_PASSWORD") or ""
    if bool(user) != bool(password):
        raise ImproperlyConfigured(
            f"REWARDSHUB_EMAIL_URL {_shown(url)!r} has a user name without a password or a "
            "password without a user name; give both (user:password@host) or neither. "
            f"Percent-encode @, : and / inside them (%40, %3A, %2F), e.g. {EXAMPLE}"
        )
    return MailSettings(
        backend=SMTP,
        host=str(parsed["EMAIL_HOST"]),
        port=int(port),
        user=user,
        password=password,
        use_tls=scheme == "smtp+tls",
        use_ssl=scheme == "smtp+ssl",
    )


class FileBackend(BaseEmailBackend):
    """One file per message under EMAIL_FILE_PATH, readable by its owner only.

    The log gets the file's path, never the message: its text holds live links.
    """

    def __init__(self, file_path: str | None = None, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(**kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                path = self._write(message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            logger.info("Mail written to %s (no mail server is set: REWARDSHUB_EMAIL_URL)", path)
            sent += 1
        return sent

    def _write(self, message: EmailMessage) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        partial = path.with_name(f".{path.name}.partial")
        # O_EXCL: never write into a file that is already there (or a link
        # planted there). Renamed once complete: no one reads half a message.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.message().as_bytes(linesep="\n"))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return path
