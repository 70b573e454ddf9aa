"""Error reports to Sentry (``SENTRY_DSN``), with personal data scrubbed as in the log lines.

``init_sentry`` turns on the Django and Celery integrations with ``send_default_pii=False``
(no user e-mail, name or IP address, no cookies). Whatever else an event carries (the
exception message, local variables of the failing frames, the request body, log breadcrumbs)
goes through ``scrub_event`` / ``scrub_breadcrumb`` before it leaves the process: every string
gets ``ecomcms.redaction.redact_for_log``, the detection the log lines get (e-mail addresses,
phone numbers, card numbers, IBANs, street addresses, links with tokens, the shop's order
numbers), so an event shows ``[EMAIL]`` where a customer's address was. The hooks need no DSN
and no network: tests call them on an event dict.
"""

from __future__ import annotations

import logging
from typing import Any

from ecomcms.redaction import DEFAULT_PHONE_REGIONS, redact_for_log

logger = logging.getLogger(__name__)

# Keys whose values are code locations or SDK bookkeeping, never customer data: left as they are.
_STRUCTURAL = frozenset({
    "abs_path", "filename", "module", "function", "package", "platform", "lineno", "colno", "in_app",
    "event_id", "timestamp", "start_timestamp", "level", "logger", "release", "environment", "sdk",
    "modules", "type", "mechanism", "server_name", "dist", "fingerprint", "transaction_info",
})
# Request headers that are credentials; Sentry's own scrubber removes them too, this is belt and braces.
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "x-csrftoken", "proxy-authorization"})
_MAX_DEPTH = 12
_REDACTED = "[Filtered]"


def _options() -> dict:
    """The shop's redaction settings, as support's log lines use them.

    Read by name: this floor imports no app, so not ``support.conf`` either. Unset, the detection
    runs without the shop's order numbers and keeps nothing back: more is redacted, never less.
    """
    from django.conf import settings

    return {
        "order_number_patterns": tuple(getattr(settings, "SUPPORT_ORDER_NUMBER_PATTERNS", ()) or ()),
        "keep": tuple(getattr(settings, "SUPPORT_REDACTION_KEEP", ()) or ()),
        "phone_regions": tuple(getattr(settings, "SUPPORT_REDACTION_PHONE_REGIONS", DEFAULT_PHONE_REGIONS)),
    }


def scrub(value: Any, options: dict, depth: int = 0) -> Any:
    """``value`` with every string redacted, dicts and lists walked (keys of code locations kept)."""
    if depth > _MAX_DEPTH:
        return _REDACTED
    if isinstance(value, str):
        return redact_for_log(value, **options) if len(value) >= 5 else value  # shorter holds no address or number
    if isinstance(value, dict):
        return {key: item if key in _STRUCTURAL else scrub(item, options, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item, options, depth + 1) for item in value]
    return value


def _scrub_request(request: dict) -> None:
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in list(headers):
            if name.lower() in _SECRET_HEADERS:
                headers[name] = _REDACTED
    request.pop("cookies", None)


def scrub_event(event: dict, hint: dict | None = None) -> dict | None:
    """Sentry's ``before_send``: the event with personal data replaced by ``[KIND]`` placeholders.

    Fails closed: if the scrubbing itself breaks, the event is dropped (logged), never sent raw.
    """
    try:
        options = _options()
        if isinstance(event.get("request"), dict):
            _scrub_request(event["request"])
        user = event.get("user")
        if isinstance(user, dict):  # send_default_pii=False leaves at most an id; keep nothing else
            event["user"] = {"id": user["id"]} if "id" in user else {}
        scrubbed = scrub(event, options)
        from ecomcms.monitoring.logs import current_request_id

        request_id = current_request_id()
        if request_id:
            scrubbed.setdefault("tags", {})["request_id"] = request_id
        return scrubbed
    except Exception:  # never let an unscrubbed event out
        logger.exception("sentry: an event could not be scrubbed and was dropped")
        return None


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict | None:
    """Sentry's ``before_breadcrumb``: log messages and their data as the log lines would show them."""
    try:
        return scrub(crumb, _options())
    except Exception:
        logger.exception("sentry: a breadcrumb could not be scrubbed and was dropped")
        return None


def init_sentry(*, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0,
                **extra) -> None:
    """Report errors of this process (web or worker) to Sentry. Call from the settings module."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        **extra,
    )
