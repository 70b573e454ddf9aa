"""Rendered API answers kept in Django's cache under generations (``ecomcms.caching``), with their ETags.

An app files a body under a key and the current values of the generations its data depends on
(the catalogue's, the recommender's ...), read before the data: any write that bumps one of them
makes the body stale in every process at once. The body is rendered once (orjson) and its ETag
hashed once, so a cached answer, or a 304 to it, costs the generations' queries and a cache read.
``CatalogView.finalize_response`` adds ``Cache-Control`` and answers ``If-None-Match`` and
``If-Modified-Since`` with a 304.

In front of the cache, each process keeps the bodies it served last, as objects (``_Memo``): the
cache hands back a new unpickled copy on every read (local memory pickles too), which was a fifth
of a stored answer's own work (docs/performance.md, "Fourth pass"). The memo is filed under the
same generations, read on every request as before, so it never serves a body the cache would not:
a bump makes every body of older generations unreachable in the memo as in the cache.
"""

from __future__ import annotations

import functools
import hashlib
import threading
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
        response["Last-Modified"] = _http_date(body.last_modified)
    return response


@functools.lru_cache(maxsize=1024)
def _http_date(moment: float) -> str:
    return http_date(moment)


def cache_key(prefix: str, key: str, generations: tuple) -> str:
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:{':'.join(str(g) for g in generations)}:{digest}"


class _Memo:
    """One prefix's bodies in this process, all of one tuple of generations: ``key -> (body, expiry)``.

    Bounded (``MEMO_ENTRIES`` bodies, ``MEMO_BYTES`` of content; the oldest go first); each body
    leaves by the time its cache entry would, at the latest one cache timeout after it came in.
    """

    def __init__(self, generations: tuple):
        self.generations = generations
        self.bodies: dict[str, tuple[Body, float]] = {}
        self.size = 0


MEMO_ENTRIES = 1000
MEMO_BYTES = 8 * 1024 * 1024
_memo: dict[str, _Memo] = {}
_memo_lock = threading.Lock()


def _memo_get(prefix: str, key: str, generations: tuple) -> Body | None:
    memo = _memo.get(prefix)
    if memo is None or memo.generations != generations:
        return None
    entry = memo.bodies.get(key)
    if entry is None or entry[1] <= time.monotonic():
        return None
    return entry[0]


def _memo_put(prefix: str, key: str, generations: tuple, body: Body, seconds: int) -> None:
    with _memo_lock:
        memo = _memo.get(prefix)
        if memo is None or memo.generations != generations:
            # Generations only grow, so the other tuple's bodies will not be asked for again (a request that
            # read the counters just before a bump may still finish with the older tuple: that costs the memo
            # its bodies, never a wrong answer).
            memo = _memo[prefix] = _Memo(generations)
        old = memo.bodies.pop(key, None)
        if old is not None:
            memo.size -= len(old[0].content)
        while memo.bodies and (len(memo.bodies) >= MEMO_ENTRIES or memo.size + len(body.content) > MEMO_BYTES):
            oldest = next(iter(memo.bodies))
            memo.size -= len(memo.bodies.pop(oldest)[0].content)
        memo.bodies[key] = (body, time.monotonic() + seconds)
        memo.size += len(body.content)


def memo_forget() -> None:
    """Empty this process's memo (tests: each starts a new database whose generations start again)."""
    with _memo_lock:
        _memo.clear()


def lookup(prefix: str, key: str, generations: tuple, *, seconds: int) -> Body | None:
    """The body filed under ``key`` and these generations if it is stored and still holds; else None.

    ``seconds``: the cache timeout the body was stored with (how long the memo may keep it).
    """
    body = _memo_get(prefix, key, generations)
    if body is None:
        body = cache.get(cache_key(prefix, key, generations))
        if body is None:
            return None
        _memo_put(prefix, key, generations, body, seconds)
    if body.valid_until is not None and time.time() >= body.valid_until:
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
    body = lookup(prefix, key, current, seconds=seconds)
    if body is None:
        body = build()
        cache.set(cache_key(prefix, key, current), body, seconds)
        _memo_put(prefix, key, current, body, seconds)
    return body
