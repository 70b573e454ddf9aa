"""Reads of the recommender: which version serves, rules in force, what may be shown, shopper history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.db.models import Exists, Min, OuterRef, Q, Sum

from content.models import Product, PublishedCopy
from recommender.models import Event, EventType, MerchandisingRule, ModelVersion, RuleContext, VersionStatus

SESSION_ITEMS = 20  # most recent distinct products of a session that make its context
SESSION_TYPES = (EventType.VIEW, EventType.ADD_TO_CART, EventType.PURCHASE)
PRODUCT_FIELDS = ("pk", "sku", "slug", "title", "brand", "category", "price", "currency", "image_urls")


class _Snapshot:
    """What serving reads on every request and only writes that bump a generation change, kept in this process.

    Filed under the catalogue's and the recommender's generations (``recommender.generation``), read
    in one query before anything else: the active version, the shop's setting and the active rules
    change only with a recommender bump (their receivers, ``model_activate``), products' eligibility
    and names only with a catalogue bump. A profile of the customer and session lists showed these
    reads (four ORM queries) were over half a request (docs/performance.md).
    """

    MAX_PRODUCTS = 20_000  # products remembered a generation per process (about 1 KB each); then start again

    def __init__(self, generations: tuple):
        self.generations = generations
        self.version: ModelVersion | None | bool = False  # False: not read yet
        self.setting = None
        self.rules: list[MerchandisingRule] | None = None
        self.eligible: dict[int, Product | None] = {}  # pk -> the product if it may be shown (any request), else None
        self.anchors: dict[int, Product | None] = {}  # pk -> the active product, else None


_snapshot: _Snapshot | None = None


def serving_snapshot() -> _Snapshot:
    """This process's snapshot for the current generations (one query), a new empty one after any bump."""
    from recommender.generation import list_generations

    global _snapshot
    current = list_generations()
    if _snapshot is None or _snapshot.generations != current:
        _snapshot = _Snapshot(current)
    return _snapshot


def serving_forget() -> None:
    """Drop this process's snapshot (tests: each starts a new database whose generations start again)."""
    global _snapshot
    _snapshot = None


def serving_version(snapshot: _Snapshot) -> ModelVersion | None:
    if snapshot.version is False:
        snapshot.version = version_active()
    return snapshot.version


def serving_setting(snapshot: _Snapshot):
    if snapshot.setting is None:
        from recommender.models import ShopSetting

        snapshot.setting = ShopSetting.load()
    return snapshot.setting


def serving_rules(snapshot: _Snapshot, *, context: str, category: str | None, now: datetime) -> list[MerchandisingRule]:
    """``rules_in_force`` from the snapshot's active rules: the same rules in the same order."""
    if snapshot.rules is None:
        snapshot.rules = list(MerchandisingRule.objects.filter(is_active=True).order_by("position", "pk"))
    return [rule for rule in snapshot.rules
            if rule.context in (RuleContext.ALL, context)
            and (rule.starts_at is None or rule.starts_at <= now) and (rule.ends_at is None or rule.ends_at > now)
            and rule.category in ("", category or "")]


def serving_eligible(snapshot: _Snapshot, pks: Iterable[int], *, exclude: Iterable[str] = (),
                     category: str | None = None, not_bought_by: str | None = None,
                     bought: set[int] | None = None) -> dict[int, Product]:
    """``products_eligible`` with what holds for every request remembered in the snapshot: the same products.

    ``bought``: ``not_bought_by``'s purchases when the caller already has them (one query a request).
    """
    pks = set(pks)
    unknown = pks - snapshot.eligible.keys()
    if unknown:
        if len(snapshot.eligible) > _Snapshot.MAX_PRODUCTS:
            snapshot.eligible.clear()
        found = products_eligible(unknown)
        snapshot.eligible.update({pk: found.get(pk) for pk in unknown})
    exclude = set(exclude)
    if bought is None:
        bought = set(customer_purchases(not_bought_by)) if not_bought_by else set()
    products = {}
    for pk in pks:
        product = snapshot.eligible.get(pk)
        if (product is None or product.sku in exclude or product.slug in exclude or pk in bought
                or (category and product.category != category)):
            continue
        products[pk] = product
    return products


def serving_anchors(snapshot: _Snapshot, pks: Iterable[int]) -> dict[int, Product]:
    """``products_shown_as_anchor`` remembered in the snapshot."""
    pks = set(pks)
    unknown = pks - snapshot.anchors.keys()
    if unknown:
        if len(snapshot.anchors) > _Snapshot.MAX_PRODUCTS:
            snapshot.anchors.clear()
        found = products_shown_as_anchor(unknown)
        snapshot.anchors.update({pk: found.get(pk) for pk in unknown})
    return {pk: snapshot.anchors[pk] for pk in pks if snapshot.anchors.get(pk) is not None}


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
    """Product pk -> orders it was bought on, for products the customer still has (net of cancellations).

    Asked on every customer list (the bought filter), so written without the ORM's query compiler, which
    cost more than the query (a profile, docs/performance.md); the same rows as
    ``Event.objects.filter(customer_id=..., type=purchase, product__isnull=False).values("product")
    .annotate(net=Sum("quantity"), orders=Count("order_id", distinct=True)).filter(net__gt=0)``.
    """
    quote = connection.ops.quote_name
    sql = (f"SELECT {quote('product_id')}, COUNT(DISTINCT {quote('order_id')}) FROM {quote(Event._meta.db_table)} "
           f"WHERE {quote('customer_id')} = %s AND {quote('type')} = %s AND {quote('product_id')} IS NOT NULL "
           f"GROUP BY {quote('product_id')} HAVING SUM({quote('quantity')}) > 0")
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, str(EventType.PURCHASE)])
        return {product_id: max(orders, 1) for product_id, orders in cursor.fetchall()}


def session_products(session_id: str, limit: int = SESSION_ITEMS) -> list[int]:
    """The session's most recent distinct products (views, carts, purchases), newest first.

    Asked on every session list, so written without the ORM's query compiler (as ``customer_purchases``);
    the same rows as ``Event.objects.filter(session_id=..., type__in=SESSION_TYPES, product__isnull=False)
    .order_by("-occurred_at", "-pk").values_list("product_id", flat=True)[:limit * 10]``.
    """
    quote = connection.ops.quote_name
    sql = (f"SELECT {quote('product_id')} FROM {quote(Event._meta.db_table)} WHERE {quote('session_id')} = %s "
           f"AND {quote('type')} IN ({', '.join(['%s'] * len(SESSION_TYPES))}) AND {quote('product_id')} IS NOT NULL "
           f"ORDER BY {quote('occurred_at')} DESC, {quote(Event._meta.pk.column)} DESC LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id, *(str(t) for t in SESSION_TYPES), limit * 10])
        return list(dict.fromkeys(product_id for (product_id,) in cursor.fetchall()))[:limit]


def product_active(*, slug: str) -> Product | None:
    return Product.objects.filter(slug=slug, is_active=True).first()


ORDER = ("popularity", "buy_again", "implicit_als", "implicit_bm25", "decayed_popularity", "bought_together",
         "item_similarity", "user_cf", "session", "blend")


def in_order(metrics: dict) -> dict:
    """Metrics with the baselines first and the blend last (PostgreSQL's jsonb does not keep key order)."""
    rank = {name: i for i, name in enumerate(ORDER)}
    return dict(sorted(metrics.items(), key=lambda item: (rank.get(item[0], len(ORDER)), item[0])))
