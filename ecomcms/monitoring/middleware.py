"""Request middleware: latency by URL pattern (Prometheus), and a request id for logs and error reports."""

from __future__ import annotations

import re
import time
import uuid

from prometheus_client import Histogram

from ecomcms.monitoring.logs import request_id_var

REQUEST_SECONDS = Histogram(
    "ecomcms_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by method, URL pattern and status code.",
    ["method", "route", "status"],
)
# Any other method is counted as "other": the label must not take whatever a client sends.
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "<unmatched>"  # no URL pattern matched (a 404 from the resolver) or a middleware answered first


def route_of(request) -> str:
    """The URL pattern that served the request (``api/v1/products/<slug:slug>``), never the raw path:
    one time series per route, whatever ids or slugs the paths carry."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


class RequestMetricsMiddleware:
    """Times every request; first in MIDDLEWARE so the other middleware's time counts too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_SECONDS.labels(method, route_of(request), str(response.status_code)).observe(
            time.perf_counter() - started)
        return response


_INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")


class RequestIdMiddleware:
    """Each request gets an id: the proxy's ``X-Request-ID`` when it sends a sane one, else a new one.

    Log lines written while the request runs carry it (``LOG_FORMAT=json``), so do Sentry events,
    and the response returns it in ``X-Request-ID`` for a support question to quote.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response
