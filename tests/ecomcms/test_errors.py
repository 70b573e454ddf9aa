"""Error reports: personal data is scrubbed before an event leaves the process (no DSN, no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ecomcms.monitoring.errors import scrub_breadcrumb, scrub_event

ROOT = Path(__file__).resolve().parent.parent.parent
EMAIL, CARD, PHONE = "anna.becker@example.com", "4111 1111 1111 1111", "+44 20 7946 0958"


def an_event() -> dict:
    return {
        "event_id": "0123456789abcdef0123456789abcdef",
        "level": "error",
        "logger": "support.services",
        "message": f"reply to {EMAIL} failed",
        "exception": {"values": [{
            "type": "ValueError",
            "value": f"card {CARD} declined for {EMAIL}",
            "stacktrace": {"frames": [{
                "filename": "support/services.py", "abs_path": "/srv/ecomcms/support/services.py",
                "function": "ticket_create", "module": "support.services", "lineno": 120,
                "vars": {"body": f"Call me on {PHONE} please", "attempts": 2, "nested": {"to": [EMAIL]}},
            }]},
        }]},
        "request": {
            "url": "https://shop.example/api/v1/tickets", "method": "POST",
            "data": {"email": EMAIL, "message": f"my number is {PHONE}"},
            "headers": {"Authorization": "Bearer s3cret-token", "Cookie": "sessionid=abc", "Accept": "text/html"},
            "cookies": {"sessionid": "abc"},
        },
        "user": {"id": "7", "email": EMAIL, "ip_address": "203.0.113.9"},
        "breadcrumbs": {"values": [{"category": "support", "message": f"ticket from {EMAIL}"}]},
        "extra": {"celery-job": {"args": [EMAIL], "task_name": "support.triage"}},
    }


def test_before_send_scrubs_emails_card_numbers_and_phone_numbers_everywhere():
    scrubbed = scrub_event(an_event(), {})
    text = json.dumps(scrubbed)

    for secret in (EMAIL, CARD, PHONE, "7946", "4111", "s3cret-token", "sessionid", "203.0.113.9"):
        assert secret not in text, secret
    exception = scrubbed["exception"]["values"][0]
    assert exception["value"] == "card [CARD] declined for [EMAIL]"
    frame = exception["stacktrace"]["frames"][0]
    assert frame["vars"] == {"body": "Call me on [PHONE] please", "attempts": 2, "nested": {"to": ["[EMAIL]"]}}
    # Where the error happened is kept as it was.
    assert (frame["filename"], frame["function"], frame["lineno"]) == ("support/services.py", "ticket_create", 120)
    assert scrubbed["message"] == "reply to [EMAIL] failed"
    assert scrubbed["request"]["data"] == {"email": "[EMAIL]", "message": "my number is [PHONE]"}
    assert scrubbed["request"]["headers"]["Accept"] == "text/html"
    assert scrubbed["user"] == {"id": "7"}
    assert scrubbed["level"] == "error" and scrubbed["event_id"] == "0123456789abcdef0123456789abcdef"


def test_before_breadcrumb_scrubs_the_message_and_its_data():
    crumb = {"category": "query", "message": f"lookup {EMAIL}", "data": {"params": [PHONE, 3]}}
    assert scrub_breadcrumb(crumb, {}) == {"category": "query", "message": "lookup [EMAIL]",
                                           "data": {"params": ["[PHONE]", 3]}}


def test_an_event_that_cannot_be_scrubbed_is_dropped_not_sent(monkeypatch):
    from ecomcms.monitoring import errors

    def broken(*args, **kwargs):
        raise RuntimeError("redaction broke")

    monkeypatch.setattr(errors, "redact_for_log", broken)
    assert scrub_event(an_event(), {}) is None


def test_the_shops_order_number_patterns_apply_to_error_reports_too(settings):
    settings.SUPPORT_ORDER_NUMBER_PATTERNS = [r"\bORD-\d{6,}\b"]
    event = scrub_event({"message": "order ORD-123456 failed"}, {})
    assert event["message"] == "order [ORDER] failed"


SCRIPT = r"""
import json, logging, os, sys
import sentry_sdk.client
from sentry_sdk.transport import Transport

class Captured(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                print("EVENT " + json.dumps(item.payload.json), flush=True)

sentry_sdk.client.make_transport = lambda options: Captured(options)
import django
django.setup()
import sentry_sdk
logging.getLogger("support").warning("ticket from anna.becker@example.com")
try:
    raise ValueError("card 4111 1111 1111 1111 declined for anna.becker@example.com")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
"""


def test_with_a_dsn_the_settings_turn_sentry_on_and_events_leave_scrubbed():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SENTRY_DSN": "https://public@sentry.invalid/1",
           "SENTRY_ENVIRONMENT": "ci"}
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    events = [json.loads(line[6:]) for line in run.stdout.splitlines() if line.startswith("EVENT ")]
    assert len(events) == 1, run.stdout[-2000:] + run.stderr[-2000:]
    event = events[0]
    text = json.dumps(event)
    assert "anna.becker@example.com" not in text and "4111 1111 1111 1111" not in text
    assert event["exception"]["values"][0]["value"] == "card [CARD] declined for [EMAIL]"
    assert event["environment"] == "ci"
    assert any(crumb.get("message") == "ticket from [EMAIL]" for crumb in event["breadcrumbs"]["values"])
    assert {"django", "celery"} <= set(event["sdk"]["integrations"])
