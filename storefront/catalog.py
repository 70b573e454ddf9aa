"""The catalogue's read-only bodies: built from plain rows, rendered with orjson, cached by catalogue generation.

Where the time went (docs/performance.md): building model instances for each product and copy,
then DRF serializers walking their fields, was most of a product page's cost. Here the rows come
from ``values()`` querysets (``storefront.selectors``), become the documented JSON shapes in plain
Python (``ProductOutput`` in ``storefront.apis`` stays the schema, and a test checks both agree),
and are rendered once with orjson.

A rendered body is kept in Django's cache (``CACHE_URL``) for ``API_CATALOG_CACHE_SECONDS``, keyed
by the request's full URL and the catalogue generation (``content.catalog``), which every write of
a product or published copy bumps in its own transaction: a publication, an unpublication (a newer
publication superseding it), an archived product or an edit is served from the next request on, by
every process. The generation is read before the catalogue, so a body is never older than the
generation it is filed under. What is cached is exactly what was served: only published copy.

A/B tests of copy: a product's cached entry also holds the variants of its running experiments, so a
visitor's variant is chosen (``storefront.experiments``) without another query; starting or stopping
an experiment bumps the generation too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import orjson
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, quote_etag

from content import selectors as content_selectors
from ecomcms.conf import conf
from storefront import experiments, selectors

CENTS = Decimal("0.01")
CACHE_PREFIX = "storefront-catalog"


def cache_seconds() -> int:
    return conf.API_CATALOG_CACHE_SECONDS


@dataclass
class Body:
    """A catalogue response as stored: its JSON, ETag and Last-Modified, and what a visitor's variant needs."""

    content: bytes
    etag: str
    last_modified: float | None
    product: dict | None = None  # detail only: the product's row and current copy rows, for a visitor's variant
    copy: list = field(default_factory=list)
    variants: dict = field(default_factory=dict)  # detail only: kind -> the running experiment's variants


def timestamp(value) -> str:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as ``Z``."""
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def render(data) -> bytes:
    try:
        return orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer attribute beyond 64 bits: DRF's encoder copes
        from ecomcms.api.http import JsonRenderer

        return JsonRenderer().render(data)


def body_of(data, moments) -> Body:
    content = render(data)
    moments = [moment for moment in moments if moment]
    return Body(content=content, etag=quote_etag(hashlib.sha256(content).hexdigest()[:32]),
                last_modified=max(moments).timestamp() if moments else None)


def response_of(body: Body) -> HttpResponse:
    """The stored body as a response; ``CatalogView.finalize_response`` adds Cache-Control and answers 304s."""
    response = HttpResponse(body.content, content_type="application/json")
    response["ETag"] = body.etag
    if body.last_modified is not None:
        response["Last-Modified"] = http_date(body.last_modified)
    return response


def cached(key: str, build: Callable[[], Body]) -> Body:
    """The body filed under ``key``: from the cache when the catalogue has not changed since it was stored, else built.

    ``build`` validates the request (a 400 raises and stores nothing) and reads the catalogue.
    """
    seconds = cache_seconds()
    if not seconds:
        return build()
    generation = content_selectors.catalog_generation()  # first: the body built below is at least this new
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    cache_key = f"{CACHE_PREFIX}:{generation}:{digest}"
    body = cache.get(cache_key)
    if body is None:
        body = build()
        cache.set(cache_key, body, seconds)
    return body


# --- The documented shapes (ProductOutput, CopyOutput) from plain rows -------------------------------

def copy_item(row: dict) -> dict:
    return {"kind": row["kind"], "variant": row["variant"], "text": row["text"],
            "published_at": timestamp(row["published_at"]), "experiment": row.get("experiment")}


def product_item(row: dict, copy: list[dict]) -> dict:
    price = row["price"]
    return {
        "sku": row["sku"], "slug": row["slug"], "title": row["title"], "brand": row["brand"],
        "category": row["category"], "attributes": {str(key): value for key, value in row["attributes"].items()},
        "price": None if price is None else f"{price.quantize(CENTS):f}", "currency": row["currency"],
        "stock": row["stock"], "in_stock": row["stock"] > 0,
        "image_urls": [str(url) for url in row["image_urls"]], "updated_at": timestamp(row["updated_at"]),
        "copy": [copy_item(c) for c in copy],
    }


def _changed_at(row: dict, copy: list[dict]) -> list:
    return [row["updated_at"]] + [c["published_at"] for c in copy]


def products_body(rows: list[dict], page: Callable[[list[dict]], dict]) -> Body:
    """A page of products (``selectors.catalog_product_rows``) with their current copy: one more query."""
    copy = selectors.catalog_copy_rows([row["id"] for row in rows])
    moments = [moment for row in rows for moment in _changed_at(row, copy.get(row["id"], []))]
    return body_of(page([product_item(row, copy.get(row["id"], [])) for row in rows]), moments)


def product_body(row: dict) -> Body:
    """One product's body; it keeps the rows and its running experiments' variants for visitors' variants."""
    copy = selectors.catalog_copy_rows([row["id"]]).get(row["id"], [])
    body = body_of(product_item(row, copy), _changed_at(row, copy))
    body.product, body.copy, body.variants = row, copy, experiments.running_variant_rows(row["id"])
    return body


def for_visitor(body: Body, visitor: str | None) -> Body:
    """The body a visitor sees: the stored one unless a running experiment serves them a variant."""
    if not visitor or not body.variants:
        return body
    copy = experiments.copy_rows_for_visitor(body.copy, body.variants, visitor)
    return body_of(product_item(body.product, copy), _changed_at(body.product, copy))
