"""The 4-digit temporary portal password printed with each card.

Four digits are 10,000 guesses, so a slow hash protects nothing a leaked
database could not undo in seconds. What protects them is a keyed hash (the
server's secret key is not in the database) and the portal's login rate
limits. HMAC-SHA256 is also fast enough to issue a batch of thousands of
cards at once, which argon2 with its memory cost is not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings


def new_temp_password() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def _digest(salt: str, password: str) -> str:
    key = f"rewardshub.temp-password:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{salt}:{password}".encode(), hashlib.sha256).hexdigest()


def hash_temp_password(password: str) -> str:
    salt = secrets.token_hex(8)
    return f"hmac-sha256${salt}${_digest(salt, password)}"


def check_temp_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    return scheme == "hmac-sha256" and hmac.compare_digest(digest, _digest(salt, password))
