"""The hub's audit key ring, from the settings (keyring.py reads and checks it).

A production hub refuses to start without a key (settings.py). A development
hub with none configured makes its own on first use: var/audit.key, 0600.
The ring is read again when its file changes, so a running server takes up a
rotated key without a restart.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from rewardshub.audit.keyring import KeyRing, create_file, load

_cache: tuple[tuple[str, str, int], KeyRing] | None = None


def key_file(*, create: bool) -> str:
    """The key file in use: the configured one, or the development hub's own."""
    if settings.AUDIT_KEY_FILE or settings.AUDIT_KEY:
        return str(settings.AUDIT_KEY_FILE)
    own = str(settings.AUDIT_KEY_CREATE)
    if create and own and not os.path.exists(own):
        create_file(Path(own))
    return own


def ring(*, create: bool = True) -> KeyRing:
    """The current key ring; raises KeyRingError, saying what to fix, if there is none.

    `create=False` (verify, which writes nothing) never makes the development key.
    """
    global _cache
    key, path = str(settings.AUDIT_KEY), key_file(create=create)
    try:
        stamp = os.stat(path).st_mtime_ns if path else 0
    except OSError:
        stamp = -1  # load() says why it cannot be read
    ident = (key, path, stamp)
    if _cache is None or _cache[0] != ident:
        _cache = (ident, load(key, path))
    return _cache[1]
