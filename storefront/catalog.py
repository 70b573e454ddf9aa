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

from collections.abc import Callable
from decimal import Decimal

from content import selectors as content_selectors
from ecomcms.api.cache import Body, body_of, cached as _cached, render, response_of, timestamp  # noqa: F401  (the views use them)
from ecomcms.conf import conf
from storefront import experiments, selectors

CENTS = Decimal("0.01")
CACHE_PREFIX = "storefront-catalog"


def generations() -> tuple[int]:
    """What a stored body depends on: the catalogue generation, read before the catalogue."""
    return (content_selectors.catalog_generation(),)


def cached(key: str, build: Callable[[], Body]) -> Body:
    """The body filed under ``key``: from the cache when the catalogue has not changed since it was stored, else built.

    ``build`` validates the request (a 400 raises and stores nothing) and reads the catalogue. The
    views use ``CatalogView.cached`` (the same, with anonymous hits served before DRF's work).
    """
    return _cached(CACHE_PREFIX, key, build, generations=generations, seconds=conf.API_CATALOG_CACHE_SECONDS)


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
    body.extra = {"product": row, "copy": copy, "variants": experiments.running_variant_rows(row["id"])}
    return body


def for_visitor(body: Body, visitor: str | None) -> Body:
    """The body a visitor sees: the stored one unless a running experiment serves them a variant."""
    if not visitor or not body.extra.get("variants"):
        return body
    product = body.extra["product"]
    copy = experiments.copy_rows_for_visitor(body.extra["copy"], body.extra["variants"], visitor)
    return body_of(product_item(product, copy), _changed_at(product, copy))
