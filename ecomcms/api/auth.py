"""Who is calling: app tokens (``Authorization: Bearer <token>``), their scopes, and rate limits.

The kit knows a token only by what it carries: a ``pk`` and ``scopes`` (scope strings such as
``events:write``). The app that stores tokens registers them with ``register_tokens`` (the
storefront does, in ``StorefrontConfig.ready``: its ``StorefrontToken`` model, created in the
admin), so this floor imports no app. With none registered, every bearer token is refused (401).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ecomcms.conf import API_THROTTLE_RATES
from ecomcms.sql import as_health_check


@dataclass(frozen=True)
class _Tokens:
    model: type
    authenticate: Callable[[str], object | None]


_tokens: _Tokens | None = None


def register_tokens(*, model: type, authenticate: Callable[[str], object | None]) -> None:
    """Tokens are instances of ``model``; ``authenticate(secret=...)`` returns the live token or None."""
    global _tokens
    _tokens = _Tokens(model=model, authenticate=authenticate)


class TokenAuthentication(BaseAuthentication):
    """An app token in ``Authorization: Bearer <token>``. No header: anonymous; a bad token: 401."""

    def authenticate(self, request):
        parts = request.headers.get("Authorization", "").split()
        if not parts or parts[0].lower() != "bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("The Authorization header must be `Bearer <token>`.")
        # The token read is the request's first query: it doubles as the connection's health check.
        token = as_health_check(lambda: _tokens.authenticate(secret=parts[1])) if _tokens else None
        if token is None:
            raise exceptions.AuthenticationFailed("The token is unknown or has been revoked.")
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "storefrontToken"

    def get_security_requirement(self, auto_schema):
        requirement = {self.name: []}
        return [requirement, {}] if auto_schema.view.allow_anonymous else requirement

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer",
            "description": "A storefront app token created in the admin (shown once), with scopes such as "
                           "`events:write`.",
        }


def token_of(request):
    """The registered token the request was authenticated with, or None (anonymous, a signed-in user)."""
    return request.auth if _tokens and isinstance(request.auth, _tokens.model) else None


class TokenScope(BasePermission):
    """A token must carry the view's ``required_scope``; ``allow_anonymous`` views also serve callers with none."""

    def has_permission(self, request, view):
        token = token_of(request)
        if token is None:
            if view.allow_anonymous:
                return True
            raise exceptions.NotAuthenticated(
                f"This endpoint needs a storefront token with the `{view.required_scope}` scope."
            )
        if view.required_scope not in token.scopes:
            raise exceptions.PermissionDenied(f"This token lacks the `{view.required_scope}` scope.",
                                              code="insufficient_scope")
        return True


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read at request time, not import time, so a changed setting applies. A host project whose
        # REST_FRAMEWORK names no rate for the scope gets ours (ecomcms.conf.API_THROTTLE_RATES); None: no limit.
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope, API_THROTTLE_RATES[self.scope])


class AnonThrottle(_SettingsRateThrottle):
    """Callers without credentials, per client IP (``API_THROTTLE_ANON``)."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if token_of(request) or request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ClientThrottle(_SettingsRateThrottle):
    """Each token, and each signed-in staff user, on its own (``API_THROTTLE_TOKEN``)."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token:
            ident = f"token-{token.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
