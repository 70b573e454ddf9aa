"""LOG_FORMAT=json: one JSON object per line, with the request id when there is one."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecomcms.monitoring.logs import JsonFormatter, request_id_var

ROOT = Path(__file__).resolve().parent.parent.parent


def record(message="drafts %s queued", args=(3,), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("content.services", logging.WARNING, __file__, 10, message, args, exc_info)


def test_a_json_line_holds_time_level_logger_and_message():
    line = JsonFormatter().format(record())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "content.services"
    assert entry["message"] == "drafts 3 queued"
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert "request_id" not in entry and "exception" not in entry


def test_a_json_line_carries_the_request_id_and_the_exception():
    token = request_id_var.set("req-42")
    try:
        try:
            raise ValueError("bad\nthing")
        except ValueError:
            line = JsonFormatter().format(record("failed", (), sys.exc_info()))
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-42"
    assert entry["exception"].startswith("Traceback") and "ValueError: bad\nthing" in entry["exception"]
    assert line.count("\n") == 0


@pytest.mark.django_db
def test_a_request_gets_an_id_in_its_response_and_keeps_a_sane_one_from_the_proxy(client):
    generated = client.get("/healthz/live")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz/live", HTTP_X_REQUEST_ID="lb-abc.123")["X-Request-ID"] == "lb-abc.123"
    assert client.get("/healthz/live", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


SCRIPT = r"""
import logging, django
django.setup()
from django.conf import settings
print("FORMAT", settings.LOG_FORMAT, flush=True)
logging.getLogger("ecomcms.test").warning("hello %s", "world")
"""


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_log_format_chooses_json_lines_or_the_plain_line(log_format):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": log_format}
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line for line in run.stderr.splitlines() if "hello world" in line]
    assert len(lines) == 1, run.stderr[-2000:]
    if log_format == "json":
        assert json.loads(lines[0])["message"] == "hello world"
    else:
        assert lines[0].endswith("WARNING ecomcms.test hello world")
        with pytest.raises(ValueError):
            json.loads(lines[0])
