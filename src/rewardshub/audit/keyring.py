"""The audit trail's signing keys: a key ring read from outside the database.

A ring is one or more entries `KEYID:BASE64SECRET`, newest first: the newest
signs new events, every entry verifies the events it signed. Entries come
from REWARDSHUB_AUDIT_KEY (separated by commas or spaces) and from the lines
of the file REWARDSHUB_AUDIT_KEY_FILE (blank lines and `#` comments allowed).
To rotate, put a new entry first and keep the old ones below it for as long
as events they signed must be checked.

No Django here: settings use it to refuse a bad ring before the hub starts.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MIN_SECRET_BYTES = 32
MAKE_ONE = (
    "python3 -c 'import base64, datetime, secrets; "
    'print(datetime.date.today().strftime("%Y%m%d") + ":" + '
    "base64.b64encode(secrets.token_bytes(32)).decode())'"
)


class KeyRingError(ValueError):
    """The ring cannot be used; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]

    @property
    def signing_id(self) -> str:
        return self.keys[0][0]

    def secret(self, key_id: str) -> bytes | None:
        for kid, secret in self.keys:
            if kid == key_id:
                return secret
        return None

    def sign(self, text: str) -> tuple[str, str]:
        """(key id, hex HMAC-SHA-256) of `text` under the newest key."""
        key_id, secret = self.keys[0]
        return key_id, mac(secret, key_id, text)

    def sign_many(self, texts: list[str]) -> tuple[str, list[str]]:
        """The key id and the MAC of each text, the key set up once (a batch's events)."""
        key_id, secret = self.keys[0]
        base = hmac.new(secret, f"{key_id}\n".encode(), hashlib.sha256)
        macs = []
        for text in texts:
            one = base.copy()
            one.update(text.encode())
            macs.append(one.hexdigest())
        return key_id, macs


def mac(secret: bytes, key_id: str, text: str) -> str:
    # The key id is signed too: a MAC cannot be passed off under another key.
    message = f"{key_id}\n{text}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def parse_entries(text: str, where: str, *, by_line: bool) -> list[tuple[str, bytes]]:
    entries: list[tuple[str, bytes]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for item in line.split("#", 1)[0].replace(",", " ").split():
            key_id, sep, encoded = item.partition(":")
            place = f"{where}, line {number}" if by_line else f"{where}, entry {len(entries) + 1}"
            if not sep or not KEY_ID.match(key_id):
                raise KeyRingError(
                    f"{place} is not KEYID:BASE64SECRET (a key id of up to 32 letters, "
                    f"digits, '.', '_' or '-'). Make a key with: {MAKE_ONE}"
                )
            try:
                secret = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(
                    f"{place}: the secret of key {key_id!r} is not base64. Make a key with: "
                    f"{MAKE_ONE}"
                ) from None
            if len(secret) < MIN_SECRET_BYTES:
                raise KeyRingError(
                    f"{place}: the secret of key {key_id!r} is {len(secret)} bytes; "
                    f"it must be at least {MIN_SECRET_BYTES}. Make a key with: {MAKE_ONE}"
                )
            entries.append((key_id, secret))
    return entries


def load(key: str, key_file: str) -> KeyRing:
    """The ring from the variable's entries, then the file's; refuses an empty or bad ring."""
    entries = parse_entries(key, "REWARDSHUB_AUDIT_KEY", by_line=False) if key else []
    if key_file:
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyRingError(
                f"Cannot read the audit key file {key_file} (REWARDSHUB_AUDIT_KEY_FILE): "
                f"{exc.strerror}. Create it with `umask 077; {MAKE_ONE} > {key_file}`."
            ) from None
        entries += parse_entries(text, key_file, by_line=True)
    if not entries:
        raise KeyRingError(
            "No audit key: set REWARDSHUB_AUDIT_KEY_FILE to a file holding a line "
            "KEYID:BASE64SECRET (or REWARDSHUB_AUDIT_KEY to that line). Make one with: "
            f"umask 077; {MAKE_ONE} > /etc/rewardshub/audit.key "
            "(or `rewardshub audit keygen --file /etc/rewardshub/audit.key` "
            "without REWARDSHUB_PRODUCTION), then set "
            "REWARDSHUB_AUDIT_KEY_FILE=/etc/rewardshub/audit.key on every host."
        )
    seen: set[str] = set()
    for key_id, _ in entries:
        if key_id in seen:
            raise KeyRingError(f"The audit key id {key_id!r} appears twice in the key ring.")
        seen.add(key_id)
    return KeyRing(tuple(entries))


def new_entry(today: dt.date | None = None) -> str:
    """A fresh `KEYID:BASE64SECRET` line, its id the date (and a random suffix)."""
    day = (today or dt.date.today()).strftime("%Y%m%d")
    secret = base64.b64encode(secrets.token_bytes(MIN_SECRET_BYTES)).decode()
    return f"{day}-{secrets.token_hex(2)}:{secret}"


def create_file(path: Path) -> bool:
    """Write a new one-key ring to `path`, readable by its owner only (0600); False if
    the file exists already (a key in use is never overwritten, and of several
    processes starting at once only one makes the key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(
                "# RewardsHub audit signing keys, newest first (docs/operations.md).\n"
                + new_entry()
                + "\n"
            )
        # A link appears whole or not at all, and fails if the name is taken.
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink(missing_ok=True)
    return True
