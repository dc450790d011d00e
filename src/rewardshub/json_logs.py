"""One JSON object per log line (REWARDSHUB_LOG_FORMAT=json), for a log collector.

Each line holds time (UTC, ISO 8601), level, logger, message and request_id,
and the traceback as `exception` when there is one. Records reach it already
redacted (observability.install_log_redaction: no chart id, no token in a
path), tracebacks included. gunicorn's access lines are made after the
request, outside its context, so their request id is read from the answer's
X-Request-Id header among the line's atoms.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping

# gunicorn's name for a response header among an access line's atoms.
RESPONSE_REQUEST_ID = "{x-request-id}o"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        if request_id is None and isinstance(record.args, Mapping):
            request_id = record.args.get(RESPONSE_REQUEST_ID)
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id or "-",
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)
