"""Request helpers for security features that must agree with each other."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: ``API_TRUSTED_PROXIES`` hops from the right of X-Forwarded-For, else the socket's.

    The same rule as the API throttles, so a client behind no proxy cannot
    choose its own address by sending the header.
    """
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")
