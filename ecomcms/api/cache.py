"""Rendered API answers kept in Django's cache under generations (``ecomcms.caching``), with their ETags.

An app files a body under a key and the current values of the generations its data depends on
(the catalogue's, the recommender's ...), read before the data: any write that bumps one of them
makes the body stale in every process at once. The body is rendered once (orjson) and its ETag
hashed once, so a cached answer, or a 304 to it, costs the generations' queries and a cache read.
``CatalogView.finalize_response`` adds ``Cache-Control`` and answers ``If-None-Match`` and
``If-Modified-Since`` with a 304.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, quote_etag


@dataclass
class Body:
    """An answer as stored: its JSON, ETag and Last-Modified, until when it holds, and what the app keeps with it."""

    content: bytes
    etag: str
    last_modified: float | None
    valid_until: float | None = None  # a Unix time after which the body is rebuilt (e.g. a rule's start)
    extra: dict = field(default_factory=dict)


def timestamp(value) -> str:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as ``Z``."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def render(data) -> bytes:
    try:
        return orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits: DRF's encoder copes
        from ecomcms.api.http import JsonRenderer

        return JsonRenderer().render(data)


def body_of(data, moments: Iterable = (), *, content: bytes | None = None) -> Body:
    """A body of ``data`` (or of ``content`` already rendered) whose Last-Modified is the latest of ``moments``."""
    content = render(data) if content is None else content
    moments = [moment for moment in moments if moment]
    return Body(content=content, etag=quote_etag(hashlib.sha256(content).hexdigest()[:32]),
                last_modified=max(moments).timestamp() if moments else None)


def response_of(body: Body) -> HttpResponse:
    response = HttpResponse(body.content, content_type="application/json")
    response["ETag"] = body.etag
    if body.last_modified is not None:
        response["Last-Modified"] = http_date(body.last_modified)
    return response


def cache_key(prefix: str, key: str, generations: tuple) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:{':'.join(str(g) for g in generations)}:{digest}"


def lookup(prefix: str, key: str, generations: tuple) -> Body | None:
    """The body filed under ``key`` and these generations if it is stored and still holds; else None."""
    body = cache.get(cache_key(prefix, key, generations))
    if body is None or (body.valid_until is not None and time.time() >= body.valid_until):
        return None
    return body


def cached(prefix: str, key: str, build: Callable[[], Body], *, generations: Callable[[], tuple], seconds: int) -> Body:
    """The body filed under ``key`` and the current generations; built (and stored) when there is none.

    ``generations`` is called before ``build`` reads anything, so a body is never older than the
    generations it is filed under. ``build`` validates the request: a 4xx raises and stores nothing.
    ``seconds`` 0: nothing is cached.
    """
    if not seconds:
        return build()
    current = tuple(generations())
    body = lookup(prefix, key, current)
    if body is None:
        body = build()
        cache.set(cache_key(prefix, key, current), body, seconds)
    return body
