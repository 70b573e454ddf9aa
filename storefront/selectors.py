"""Reads of the storefront API. The catalog shows active products and current published copy only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from content import selectors as content_selectors
from content.models import Product, PublishedCopy
from ecomcms.sql import instances_where, rows_where_in
from recommender.models import Event
from storefront.models import StorefrontToken


def _current_copy() -> Prefetch:
    """The copy shoppers see: publications not superseded. Drafts are never read here."""
    return Prefetch(
        "published_copy",
        queryset=PublishedCopy.objects.filter(superseded_at__isnull=True).order_by("kind", "variant"),
        to_attr="current_copy",
    )


def catalog_products(*, category: str | None = None, brand: str | None = None, price_min: Decimal | None = None,
                     price_max: Decimal | None = None, in_stock: bool | None = None,
                     updated_since: datetime | None = None, search: str | None = None) -> QuerySet[Product]:
    """Active products with their current copy in ``current_copy``; ``search`` words must all match."""
    return _filtered(Product.objects.filter(is_active=True).prefetch_related(_current_copy()), category=category,
                     brand=brand, price_min=price_min, price_max=price_max, in_stock=in_stock,
                     updated_since=updated_since, search=search)


CATALOG_FIELDS = ("id", "sku", "slug", "title", "brand", "category", "attributes", "price", "currency", "stock",
                  "image_urls", "updated_at")


def catalog_product_rows(**filters) -> QuerySet:
    """``catalog_products`` as plain rows (``CATALOG_FIELDS``), without copy: ``catalog_copy_rows`` adds it."""
    return _filtered(Product.objects.filter(is_active=True), **filters).values(*CATALOG_FIELDS)


def catalog_product_row(*, slug: str) -> dict | None:
    return catalog_product_rows().filter(slug=slug).first()


def catalog_copy_rows(product_ids: list[int]) -> dict[int, list[dict]]:
    """The current published copy of these products as plain rows, by product, ordered by kind and variant.

    Publications not superseded only: drafts are never read here.
    """
    if not product_ids:
        return {}
    found: dict[int, list[dict]] = {}
    rows = (PublishedCopy.objects.filter(product_id__in=product_ids, superseded_at__isnull=True)
            .order_by("kind", "variant").values("product_id", "kind", "variant", "text", "published_at"))
    for row in rows:
        found.setdefault(row.pop("product_id"), []).append(row)
    return found


def _filtered(products: QuerySet, *, category: str | None = None, brand: str | None = None,
              price_min: Decimal | None = None, price_max: Decimal | None = None, in_stock: bool | None = None,
              updated_since: datetime | None = None, search: str | None = None) -> QuerySet:
    if category:
        products = products.filter(category=category)
    if brand:
        products = products.filter(brand=brand)
    if price_min is not None:
        products = products.filter(price__gte=price_min)
    if price_max is not None:
        products = products.filter(price__lte=price_max)
    if in_stock is not None:
        products = products.filter(stock__gt=0) if in_stock else products.filter(stock__lte=0)
    if updated_since is not None:
        products = products.filter(updated_at__gte=updated_since)
    for word in (search or "").split():
        products = products.filter(
            Q(title__icontains=word) | Q(brand__icontains=word) | Q(category__icontains=word) | Q(sku__iexact=word)
        )
    return products


def catalog_product(*, slug: str) -> Product | None:
    return catalog_products().filter(slug=slug).first()


def catalog_categories() -> QuerySet:
    """Categories of active products: ``name``, ``products`` (how many) and ``updated_at`` (latest change)."""
    return (
        Product.objects.filter(is_active=True).exclude(category="")
        .values("category").annotate(products=Count("pk"), updated_at=Max("updated_at")).order_by("category")
    )


def events_batch_lookup(*, source: str, client_ids: list[str],
                        references: set[str]) -> tuple[dict[str, int], set[str]]:
    """What ingesting a batch needs to know first: product ids by SKU or slug (``products_by_reference``) and which
    of the event ids this source has already stored (``events_stored``). On PostgreSQL ingestion asks both
    inside its insert statement instead (``storefront.services``)."""
    return (content_selectors.products_by_reference(references),
            events_stored(source=source, client_ids=client_ids))


def events_stored(*, source: str, client_ids: list[str]) -> set[str]:
    """Which of these event ids this source has already stored (the idempotency check of ingestion)."""
    rows = rows_where_in(Event._meta.db_table, ["client_id"], "client_id", set(client_ids), equals={"source": source})
    return {client_id for (client_id,) in rows}


def token_live(*, key_hash: str) -> StorefrontToken | None:
    """The token with this key hash unless it is revoked: read on every token request, so written without the
    ORM's query compiler (``ecomcms.sql.instances_where``), the same instance as
    ``StorefrontToken.objects.filter(key_hash=..., revoked_at__isnull=True).first()``."""
    quote = connection.ops.quote_name
    found = instances_where(StorefrontToken, f"{quote('key_hash')} = %s AND {quote('revoked_at')} IS NULL",
                            [key_hash])
    return found[0] if found else None


def tokens_listed(*, include_revoked: bool = False) -> QuerySet[StorefrontToken]:
    """Storefront tokens, newest first; live ones only unless ``include_revoked``."""
    tokens = StorefrontToken.objects.select_related("created_by").order_by("-created_at", "-pk")
    return tokens if include_revoked else tokens.filter(revoked_at__isnull=True)


def tokens_named(reference: str) -> list[StorefrontToken]:
    """The tokens a person means by ``reference``: the one with this id, else the live ones with this exact name."""
    if reference.isdigit():
        return list(StorefrontToken.objects.filter(pk=int(reference)))
    return list(StorefrontToken.objects.filter(name=reference, revoked_at__isnull=True))
