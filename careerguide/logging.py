"""JSON log lines in production: one object a line, with the id of the request that wrote it."""

import contextvars
import datetime as dt
import json
import logging
import re

request_id_var = contextvars.ContextVar("request_id", default="")

# Routes whose next path segment is a secret: a partner's report link, a partner-link token, a learner's plan
# link. Anyone reading the logs could open or replay them. tests/test_log_redaction.py checks that every route
# with a <token> is listed. None of them takes a secret in its query string.
# "plans/shared" before "plans": its token is the segment after "shared".
TOKEN_ROUTES = ("partners/report", "go", "plans/shared", "plans")
_TOKEN_SEGMENT = re.compile(rf"(/(?:{'|'.join(map(re.escape, TOKEN_ROUTES))})/)[^/\s]+", re.IGNORECASE)


def redact_tokens(text: str) -> str:
    """The text with the token segment of every token route replaced by [redacted]; used by every log line."""
    return _TOKEN_SEGMENT.sub(r"\1[redacted]", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,  # which gunicorn worker
            "request_id": getattr(record, "request_id", ""),
            "message": redact_tokens(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact_tokens(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """Development's one-line text format, tokens redacted as in production."""

    def format(self, record):
        return redact_tokens(super().format(record))
