"""``GET /metrics``: the Prometheus exposition, for a scraper that proves who it is.

Off unless ``METRICS_TOKEN`` (a scraper sends ``Authorization: Bearer <token>``) or
``METRICS_ALLOWED_NETWORKS`` (client addresses, by the same rule as the API throttles:
``API_TRUSTED_PROXIES``) is set: 404 then, as for a page that does not exist. Set, a request
with neither the token nor an allowed address gets 403. Either one admits a request.
"""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ecomcms.conf import conf
from ecomcms.monitoring import metrics as metrics_module
from ecomcms.security import client_ip


def metrics_token() -> str:
    return conf.METRICS_TOKEN or ""


def metrics_networks() -> tuple:
    return parse_networks(tuple(conf.METRICS_ALLOWED_NETWORKS or ()))


@lru_cache(maxsize=8)
def parse_networks(values: tuple[str, ...]) -> tuple:
    """``10.0.0.0/8``, ``127.0.0.1``, ``::1`` ...; a bad value raises ValueError naming it."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"METRICS_ALLOWED_NETWORKS: {value!r} is not an address or network: {exc}") from None
    return tuple(networks)


def _bearer(request) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _from_allowed_network(request, networks) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


@never_cache
@require_GET
def metrics(request):
    token, networks = metrics_token(), metrics_networks()
    if not token and not networks:
        raise Http404("metrics are off (set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS)")
    given = _bearer(request)
    by_token = bool(token and given) and hmac.compare_digest(given.encode(), token.encode())
    if not (by_token or (networks and _from_allowed_network(request, networks))):
        return HttpResponseForbidden("metrics: a bearer token or an allowed address is required\n",
                                     content_type="text/plain")
    body, content_type = metrics_module.render()
    return HttpResponse(body, content_type=content_type)
