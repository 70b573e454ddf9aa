"""Log lines as JSON (``LOG_FORMAT=json``): one object per line, for a log shipper to parse.

Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, then when
known ``request_id`` (a web request, ``ecomcms.monitoring.middleware.RequestIdMiddleware``),
``task`` and ``task_id`` (a Celery task) and ``exception`` (the formatted traceback). Messages are
written as the code logged them: personal data is kept out at the call sites (``log_safe`` in
support), the same redaction error reports get (``ecomcms.monitoring.errors``).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("ecomcms_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def _current_task():
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return None
    task = current_task._get_current_object() if current_task else None
    return task if task is not None and getattr(task.request, "id", None) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on an odd message (it logs ``repr`` of what it cannot encode)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        task = _current_task()
        if task is not None:
            entry["task"] = task.name
            entry["task_id"] = task.request.id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=repr)
