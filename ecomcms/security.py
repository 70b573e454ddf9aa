"""Request helpers for security features that must agree with each other."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str:
    """The client's address, by the API throttles' own rule (``API_TRUSTED_PROXIES`` hops from the right of
    X-Forwarded-For, else the socket's), so the login lockout and the throttles always agree and a client
    behind no proxy cannot choose its own address by sending the header."""
    return BaseThrottle().get_ident(request)
