"""Paths as logs may print them: every route parameter but an opaque id is masked.

A path can carry a secret (a launch token, a portal reset token) or an
identifier that is no business of a log file (the PMS chart id of the
integration API). Rather than a list of such routes that a new route could be
missing from, the path is matched against the URL configuration itself: each
parameter of the matched route is printed as `<name>` unless its converter is
`uuid` or `int` (the hub's own opaque ids). A path that matches no route (a
typo, a probe, a link cut short) keeps only the words that some route spells
out literally; every other segment becomes `<?>`. The query string is dropped.

gunicorn's access log (`rewardshub serve`) prints paths through `redact_path`;
every other log record of the process goes through `redact_paths_in`
(observability.install_log_redaction).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import ResolverMatch, RoutePattern
from gunicorn.glogging import Logger

from rewardshub.json_logs import JsonFormatter

SHOWN_CONVERTERS = frozenset({"uuid", "int"})
UNKNOWN = "<?>"
_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def _masked(route: str, kwargs: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group("name")
        if match.group("converter") in SHOWN_CONVERTERS and name in kwargs:
            return str(kwargs[name])
        return f"<{name}>"

    return "/" + _PARAMETER.sub(one, route)


def _literal_words(resolver: URLResolver) -> set[str]:
    words: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, RoutePattern):
            text = _PARAMETER.sub("/", str(entry.pattern))
            words.update(word for word in text.split("/") if word)
        if isinstance(entry, URLResolver):
            words |= _literal_words(entry)
    return words


@lru_cache(maxsize=4)
def _vocabulary(urlconf: str) -> frozenset[str]:
    return frozenset(_literal_words(get_resolver(urlconf)))


def _by_vocabulary(path: str) -> str:
    words = _vocabulary(settings.ROOT_URLCONF)
    parts = path.split("/")
    return "/".join(part if not part or part in words else UNKNOWN for part in parts)


def redact_path(path: str) -> str:
    """The path (query string dropped) with everything but literal words and opaque ids masked."""
    path = path.split("?", 1)[0]
    static = settings.STATIC_URL or "/static/"
    if path.startswith(static):
        return path  # the hub's own asset names
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return _by_vocabulary(path)
    return _by_route(match, path)


def _by_route(match: ResolverMatch, path: str) -> str:
    # A route made with re_path() has a regular expression for a route: no
    # parameter names to go by, so fall back to the literal words.
    if not match.route or match.route.startswith("^") or match.route.endswith("$"):
        return _by_vocabulary(path)
    return _masked(match.route, match.kwargs)


# A URL path inside free text (a log message, a traceback): from a slash to
# the first character no path of the hub holds.
_PATH_IN_TEXT = re.compile(r"/[^\s\"'<>()\[\]{},;]*")


def _known_path(match: re.Match[str]) -> str:
    return _path_in_text(settings.ROOT_URLCONF, match.group(0))


# Every access log line passes here a second time, already redacted
# (`RedactingLogger.atoms`, then the process's log records): its masked path
# splits into the same few pieces on every request, none of which resolves,
# and a failed resolution walks every route (about 0.35 ms a line). The
# answers are kept, a bounded number, in this process only.
@lru_cache(maxsize=1024)
def _path_in_text(urlconf: str, text: str) -> str:
    path, _, _ = text.partition("?")
    try:
        found = get_resolver(urlconf).resolve(path)
    except Resolver404:
        return text  # a file name, a module path: not one of the hub's addresses
    return _by_route(found, path)


def redact_paths_in(text: str) -> str:
    """`text` with every address of the hub in it printed as `redact_path` prints it.

    Only paths that resolve to a route are rewritten, so file names and the
    like in a message or a traceback stay readable.
    """
    if "/" not in text:
        return text
    return _PATH_IN_TEXT.sub(_known_path, text)


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # From the environment, as settings.py reads (and checks) it: gunicorn's
        # master sets its logger up before any application, whose settings it
        # must not load (its workers would inherit them).
        if os.environ.get("REWARDSHUB_LOG_FORMAT", "").strip().lower() == "json":
            # gunicorn's own lines (workers booting, the access log) as JSON too.
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(str(atoms.get("U", "")))
        atoms["U"] = path
        atoms["r"] = f"{atoms.get('m', '-')} {path} {atoms.get('H', '-')}"
        atoms["q"] = ""
        # The referrer of a form posted from a reset page is that page's link.
        atoms["f"] = "-"
        return atoms
