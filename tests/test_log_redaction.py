"""Paths in logs: every route parameter that could carry a secret is masked (from the URL conf).

The walk below visits every route the resolver knows (pages, the portal, the
integration API, regex routes), fills each parameter with a value of its own,
and checks the logged form: an opaque id (uuid, int) may stay, anything else
(a token, a chart id, a table name) must be gone. A route added later with a
token in its path is covered without editing this file.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern

from rewardshub.access_log import redact_path
from rewardshub.observability import _redact_record

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")
SHOWN = {"uuid", "int"}


def _filled(text: str, regex: bool) -> tuple[str, dict[str, str], list[str]]:
    """The route with each parameter filled in; the values that must not be logged."""
    secrets: list[str] = []
    values: dict[str, str] = {}

    def fill(match: re.Match[str]) -> str:
        converter = None if regex else match.group("converter")
        if converter == "uuid":
            value = str(uuid.uuid4())
        elif converter == "int":
            value = "7"
        else:
            value = f"sEcReT{uuid.uuid4().hex[:10]}"
            secrets.append(value)
        values[match.group("name")] = value
        return value

    if regex:
        return _REGEX_GROUP.sub(fill, text.lstrip("^").rstrip("$")), values, secrets
    return _ROUTE_PARAMETER.sub(fill, text), values, secrets


def _routes(
    resolver: URLResolver, prefix: str = "", regex: bool = False
) -> Iterator[tuple[str, bool]]:
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        text = str(pattern)
        is_regex = regex or isinstance(pattern, RegexPattern)
        if isinstance(pattern, RegexPattern):
            text = text.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + text, is_regex)
        elif isinstance(entry, URLPattern):
            yield prefix + text, is_regex


def test_every_route_with_a_secret_parameter_is_masked_in_the_log() -> None:
    walked = with_parameters = 0
    failures = []
    for route, regex in _routes(get_resolver()):
        walked += 1
        path, values, secrets = _filled(route, regex)
        path = "/" + path
        if not values:
            assert redact_path(path) == path, route
            continue
        with_parameters += 1
        # The filled-in address really reaches this route.
        assert set(values) <= set(resolve(path).kwargs), route
        logged = redact_path(path + "?next=/x")
        left = [s for s in secrets if s in logged]
        if left or "next" in logged:
            failures.append(f"{route}: logged as {logged}")
        for name, value in values.items():
            if value not in secrets:
                assert value in logged, f"{route}: the opaque id {name} should stay"
    assert not failures, failures
    assert walked > 60 and with_parameters > 30
    print(f"log redaction: {walked} routes walked, {with_parameters} with parameters")


def test_a_path_no_route_matches_keeps_only_the_words_routes_spell_out() -> None:
    # A reset link cut short (no slash) matches no route, yet carries the token.
    assert redact_path("/portal/password/reset/eyJhbGciOi.x-9") == "/portal/password/reset/<?>"
    assert redact_path("/launch/abc/def") == "/launch/<?>/<?>"
    assert redact_path("/wp-login.php?user=admin") == "/<?>"
    assert redact_path("/static/css/hub.css") == "/static/css/hub.css"


def test_the_hubs_own_log_records_print_paths_masked() -> None:
    record = logging.LogRecord(
        "rewardshub.integrations.api", logging.ERROR, __file__, 1,
        "integration API call failed: %s %s",
        ("POST", "/api/v1/pms/orthotrac/patients/OT-SECRET-9/points"), None,
    )
    _redact_record(record)
    assert record.getMessage() == (
        "integration API call failed: POST /api/v1/pms/<system>/patients/<chart_id>/points"
    )


def test_a_file_name_in_a_log_line_stays_readable() -> None:
    record = logging.LogRecord(
        "rewardshub.mail", logging.INFO, __file__, 1,
        "Mail written to %s; reset link /portal/password/reset/tok-123/ sent",
        (Path("/var/x/mail/1.eml"),), None,
    )
    _redact_record(record)
    assert record.getMessage() == (
        "Mail written to /var/x/mail/1.eml; reset link /portal/password/reset/<token>/ sent"
    )


def test_an_access_line_printed_through_the_log_records_is_not_resolved_again(
    monkeypatch: Any,
) -> None:
    # gunicorn's access line is redacted when it is made (RedactingLogger.atoms),
    # then once more as a log record of the process. Its pieces are the same on
    # every request, and none resolves: the second pass must not walk the
    # routes again for them, request after request.
    path = redact_path("/api/v1/pms/orthotrac/patients/OT-SECRET-9/appointments/A-77")
    line = f'127.0.0.1 "PUT {path}" 201 512 0.012s'
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, line, None, None)
    _redact_record(record)
    assert record.getMessage() == line
    resolved: list[str] = []
    walk = URLResolver.resolve

    def counted(self: URLResolver, path: str) -> Any:
        resolved.append(path)
        return walk(self, path)

    monkeypatch.setattr(URLResolver, "resolve", counted)
    again = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, line, None, None)
    _redact_record(again)
    assert again.getMessage() == line
    assert resolved == []
