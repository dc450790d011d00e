"""Request ids in logs and the X-Request-Id header, so an operator can follow one request;
and no PMS chart id in any log line.

The integration API's paths carry the PMS chart id, and Django, ninja and
gunicorn all print the path of a failed request ("Internal Server Error:
/api/v1/pms/.../patients/<chart id>/points", "Error handling request ...").
Each log record is redacted as it is made (`install_log_redaction`, a
LogRecord factory), so it holds for every logger and every handler of the
process, whatever prints it: every address of the hub in the message or its
traceback is printed as the access log prints it (route parameters such as
tokens and chart ids masked, access_log.redact_paths_in), and the chart id of
the API request being handled is masked anywhere else too.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from rewardshub.access_log import redact_paths_in

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The chart id in the path of the API request being handled ("" outside one).
_chart_id: contextvars.ContextVar[str] = contextvars.ContextVar("chart_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_API_CHART = re.compile(r"/api/v1/pms/[^/?]+/patients/([^/?]+)")
MASK = "<chart_id>"


def current_request_id() -> str:
    """The id of the request being handled ("-" outside one), for messages to operators."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def redact(text: str) -> str:
    """`text` without chart ids: in API paths, and the current request's anywhere."""
    text = redact_paths_in(text)
    chart_id = _chart_id.get()
    if chart_id and chart_id in text:
        # As a whole word: OT-1 is masked (also before a full stop), OT-10 is not.
        word = rf"(?<![A-Za-z0-9_-]){re.escape(chart_id)}(?![A-Za-z0-9_-])"
        text = re.sub(word, MASK, text)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string: leave it to the handler's report
        return
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatters print exc_text when it is set: the traceback, redacted once here.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_make_record = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    _redact_record(record)
    return record


def install_log_redaction() -> None:
    """Make every log record of this process without chart ids (idempotent)."""
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        match = _API_CHART.match(request.path)
        chart_token = _chart_id.set(match.group(1) if match else "")
        try:
            response = self.get_response(request)
        finally:
            _chart_id.reset(chart_token)
            _request_id.reset(token)
        response["X-Request-Id"] = request_id
        return response
