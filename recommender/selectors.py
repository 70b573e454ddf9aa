"""Reads of the recommender: which version serves, rules in force, what may be shown, shopper history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, Sum

from content.models import Product, PublishedCopy
from recommender.models import Event, EventType, MerchandisingRule, ModelVersion, RuleContext, VersionStatus

SESSION_ITEMS = 20  # most recent distinct products of a session that make its context
SESSION_TYPES = (EventType.VIEW, EventType.ADD_TO_CART, EventType.PURCHASE)
PRODUCT_FIELDS = ("pk", "sku", "slug", "title", "brand", "category", "price", "currency", "image_urls")


def version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


def version_servable(pk: int) -> ModelVersion | None:
    """A version that can serve (for A/B tests of a version that is not the active one)."""
    return ModelVersion.objects.filter(pk=pk, status=VersionStatus.READY).exclude(artifact="").first()


def rules_in_force(*, context: str, category: str | None, now: datetime) -> list[MerchandisingRule]:
    """Active rules for this kind of list right now; a rule with a category applies only to lists filtered to it."""
    return list(
        MerchandisingRule.objects.filter(is_active=True, context__in=[RuleContext.ALL, context])
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(Q(category="") | Q(category=category or ""))
        .order_by("position", "pk")
    )


def rules_next_change(now: datetime) -> datetime | None:
    """The next moment an active rule starts or ends: a list cached now holds until then."""
    found = MerchandisingRule.objects.filter(is_active=True).aggregate(
        starts=Min("starts_at", filter=Q(starts_at__gt=now)), ends=Min("ends_at", filter=Q(ends_at__gt=now)))
    return min((moment for moment in found.values() if moment), default=None)


def products_eligible(pks: Iterable[int], *, exclude: Iterable[str] = (), category: str | None = None,
                      not_bought_by: str | None = None) -> dict[int, Product]:
    """Of ``pks``, the products a shopper may be shown, in one query.

    Active, in stock, with current published copy, not named (by SKU or slug) in
    ``exclude``, in ``category`` when given, and, with ``not_bought_by``, not bought by
    that customer (net of cancellations).
    """
    current_copy = PublishedCopy.objects.filter(product=OuterRef("pk"), superseded_at__isnull=True)
    products = Product.objects.filter(pk__in=list(pks), is_active=True, stock__gt=0).filter(Exists(current_copy))
    exclude = list(exclude)
    if exclude:
        products = products.exclude(sku__in=exclude).exclude(slug__in=exclude)
    if category:
        products = products.filter(category=category)
    if not_bought_by:
        bought = (Event.objects.filter(customer_id=not_bought_by, type=EventType.PURCHASE, product=OuterRef("pk"))
                  .values("product").annotate(net=Sum("quantity")).filter(net__gt=0))
        products = products.exclude(Exists(bought))
    return {product.pk: product for product in products.only(*PRODUCT_FIELDS).order_by()}


def products_shown_as_anchor(pks: Iterable[int]) -> dict[int, Product]:
    """Products a reason may name ("bought with X"): active ones (archived products are hidden everywhere)."""
    return {p.pk: p for p in Product.objects.filter(pk__in=list(pks), is_active=True).only("pk", "slug", "title")}


def customer_purchases(customer_id: str) -> dict[int, int]:
    """Product pk -> orders it was bought on, for products the customer still has (net of cancellations)."""
    rows = (Event.objects.filter(customer_id=customer_id, type=EventType.PURCHASE, product__isnull=False)
            .values("product").annotate(net=Sum("quantity"), orders=Count("order_id", distinct=True))
            .filter(net__gt=0).order_by())
    return {row["product"]: max(row["orders"], 1) for row in rows}


def session_products(session_id: str, limit: int = SESSION_ITEMS) -> list[int]:
    """The session's most recent distinct products (views, carts, purchases), newest first."""
    recent = (Event.objects.filter(session_id=session_id, type__in=SESSION_TYPES, product__isnull=False)
              .order_by("-occurred_at", "-pk").values_list("product_id", flat=True)[: limit * 10])
    return list(dict.fromkeys(recent))[:limit]


def product_active(*, slug: str) -> Product | None:
    return Product.objects.filter(slug=slug, is_active=True).first()
