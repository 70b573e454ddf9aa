"""Published copy and recommendations as blocks of a site's own pages.

Two doors place these blocks: the template tags (``storefront/templatetags/ecomcms.py``, any Django
template) and the django CMS plugins (``cmsplugins/``, the optional ``cms`` extra). Both call the one
function per block below and render the same template (``storefront/blocks/*.html``), so a block shows
the same thing wherever it is placed.

- Shoppers see only current published copy of active products, and only products the recommender may
  show (active, in stock, with published copy), checked again on every render, cached list or not.
- Showing a product's copy records a ``view`` event for the recommender through the storefront's
  ``events_record``, once per product and request, and never in django CMS's edit, structure or
  preview modes (an editor at work is not a shopper). Recommendation lists record nothing: showing a
  product in a list is not a view, and counting it as one would feed the recommender its own output.
- Recommendation lists are cached (Django's cache framework) per active version, list, anchor and
  length, so activating a version shows at once; the products in a cached list are checked again on
  every render (one query), so an archived, sold-out or unpublished product leaves at once too.
  Published copy is not cached: the one query that reads it is also what would tell a cache that
  a newer publication exists, so a cache would save nothing and could only show stale text.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe

from content.models import CopyKind, Product, PublishedCopy
from content.postprocess import plain_text
from recommender import selectors as recommender_selectors, services as recommender_services
from recommender.models import EventType
from storefront import services

logger = logging.getLogger(__name__)

VIEW_SOURCE = "site"  # Event.source of the views these blocks record (the site's own pages)
VISITOR_LIST_SECONDS = 60  # "Recommended for you": follows the visitor's latest views within a minute
PRODUCT_LIST_SECONDS = 300  # "Bought together", "Similar products": change only with a new version
DEFAULT_LIMIT = 4
COPY_TEMPLATE = "storefront/blocks/product_copy.html"  # rendered by both doors with the functions' context
LIST_TEMPLATE = "storefront/blocks/recommendations.html"
_SESSION_MARK = "ecomcms_visitor"  # a stored value makes Django keep a new session and send its cookie
_REQUEST_ATTRIBUTE = "_ecomcms_visitor"


@dataclass
class Visitor:
    """Who a block is rendered for: the recommender's session and customer ids, and whether an editor is at work.

    ``customer_id`` is the signed-in user's primary key (as text), the id this site's events carry.
    """

    session_id: str = ""
    customer_id: str = ""
    editing: bool = False
    staff: bool = False  # editors and agents looking at the site are not shoppers: no views recorded
    viewed: set[int] = field(default_factory=set)  # products whose view this request has recorded


def visitor_of(request) -> Visitor:
    """The visitor of a request, the same object for every block of the request.

    A visitor without a session gets one: the recommender knows an anonymous shopper by the session,
    and the view recorded now must belong to the session of the next page.
    """
    if request is None:
        return Visitor()  # rendered without a request (an email, say): no session, so nothing is recorded
    visitor = getattr(request, _REQUEST_ATTRIBUTE, None)
    if visitor is not None:
        return visitor
    user = getattr(request, "user", None)
    visitor = Visitor(
        customer_id=str(user.pk) if user is not None and user.is_authenticated else "",
        editing=cms_editing(request),
        staff=bool(user is not None and user.is_authenticated and user.is_staff),
    )
    session = getattr(request, "session", None)
    if session is not None:
        session.setdefault(_SESSION_MARK, True)  # loads the session: the key of an expired one is dropped
        if session.session_key is None:
            session.save()
        visitor.session_id = session.session_key
    setattr(request, _REQUEST_ATTRIBUTE, visitor)
    return visitor


def cms_editing(request) -> bool:
    """django CMS's edit, structure or preview mode (its toolbar is on the request); no CMS import needed."""
    if request is None:
        return False
    toolbar = getattr(request, "toolbar", None)
    if toolbar is None:
        return False
    return any(getattr(toolbar, mode, False) for mode in ("edit_mode_active", "structure_mode_active",
                                                            "preview_mode_active"))


# --- Product copy ---------------------------------------------------------------------------------

def product_copy(*, visitor: Visitor, product: Product | str | None, kind: str = CopyKind.DESCRIPTION,
                 variant: int = 1) -> dict:
    """The product's current published copy of ``kind`` (by instance or slug), if the product is active.

    Showing it records a view of the product for the visitor (not while an editor is at work).
    """
    kind = _kind(kind)
    copy = None
    if product is not None and product != "":
        by_product = {"product": product} if isinstance(product, Product) else {"product__slug": product}
        copy = (PublishedCopy.objects.filter(**by_product, product__is_active=True, kind=kind, variant=variant,
                                             superseded_at__isnull=True)
                .select_related("product").first())
    if copy is not None:
        _record_view(visitor, copy.product)
    return {
        "product": copy.product if copy else product,
        "kind": kind,
        "kind_label": CopyKind(kind).label,
        "copy": copy,
        "copy_html": _html(copy.text) if copy else "",
        "editing": visitor.editing,
    }


def _kind(kind: str) -> str:
    if kind not in CopyKind.values:
        raise ValueError(f"unknown copy kind {kind!r}; one of: {', '.join(CopyKind.values)}")
    return kind


def _html(text: str) -> str:
    """Copy as HTML: stored copy is plain text, escaped here, with its paragraphs and line breaks.

    Markup is removed first (defence in depth: copy stored before plain-text storage, or written
    to the table directly), so "<p>Salt & pepper</p>" shows as "Salt &amp; pepper", never as a tag.
    """
    return mark_safe(linebreaks(plain_text(text), autoescape=True))  # noqa: S308 - escaped by linebreaks


def _record_view(visitor: Visitor, product: Product) -> None:
    """One ``view`` event per product and request, through the storefront's event service (idempotent per id)."""
    if visitor.editing or visitor.staff or not visitor.session_id or product.pk in visitor.viewed:
        return
    visitor.viewed.add(product.pk)
    services.events_record(source=VIEW_SOURCE, events=[(0, {
        "id": uuid.uuid4().hex, "type": EventType.VIEW, "product": product.sku, "session_id": visitor.session_id,
        "customer_id": visitor.customer_id, "quantity": 1, "occurred_at": timezone.now(),
    })])


# --- Recommendations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """A recommended product as a block shows it, with the reason for people ("bought with X")."""

    product: Product
    reason: str


def recommended_for_you(*, visitor: Visitor, limit: int = DEFAULT_LIMIT, title: str = "Recommended for you") -> dict:
    """For a signed-in customer, the customer blend; otherwise what is like the session's recent products.

    A new visitor gets what sells now (the recommender's cold start). Without a request there is
    no visitor, and the list is empty.
    """
    _limit(limit)
    if visitor.customer_id:
        anchor = f"customer:{visitor.customer_id}"

        def compute(version):
            return recommender_services.recommend_for_customer(customer_id=visitor.customer_id, n=limit,
                                                               version=version)
    elif visitor.session_id:
        anchor = f"session:{visitor.session_id}"

        def compute(version):
            return recommender_services.recommend_for_session(session_id=visitor.session_id, n=limit, version=version)
    else:
        return _list_context("recommended_for_you", title, [], visitor.editing)
    items = _recommendations("for_you", anchor, limit, VISITOR_LIST_SECONDS, compute)
    return _list_context("recommended_for_you", title, items, visitor.editing)


def bought_together(*, product: Product | str | None, limit: int = DEFAULT_LIMIT, title: str = "Bought together",
                    editing: bool = False) -> dict:
    """Products bought on the same orders as ``product`` (then similar, then popular ones); nothing for an
    archived product."""
    _limit(limit)
    anchor = _active(product)
    if anchor is None:
        return _list_context("bought_together", title, [], editing)
    items = _recommendations("together", f"product:{anchor.pk}", limit, PRODUCT_LIST_SECONDS, lambda version: (
        recommender_services.recommend_bought_together(product=anchor, n=limit, version=version)))
    return _list_context("bought_together", title, items, editing)


def similar_products(*, product: Product | str | None, limit: int = DEFAULT_LIMIT, title: str = "Similar products",
                     editing: bool = False) -> dict:
    """Products bought by the same customers as ``product`` or described alike; nothing for an archived product."""
    _limit(limit)
    anchor = _active(product)
    if anchor is None:
        return _list_context("similar_products", title, [], editing)
    items = _recommendations("similar", f"product:{anchor.pk}", limit, PRODUCT_LIST_SECONDS, lambda version: (
        recommender_services.recommend_similar(product=anchor, n=limit, version=version)))
    return _list_context("similar_products", title, items, editing)


def _limit(limit: int) -> None:
    if not isinstance(limit, int) or not 1 <= limit <= recommender_services.MAX_RESULTS:
        raise ValueError(f"limit must be a whole number from 1 to {recommender_services.MAX_RESULTS}, got {limit!r}")


def _active(product: Product | str | None) -> Product | None:
    if product is None or product == "":
        return None
    if isinstance(product, Product):
        return product if product.is_active else None
    return recommender_selectors.product_active(slug=product)


def _list_context(name: str, title: str, items: list[Shown], editing: bool) -> dict:
    return {"list": name, "title": title, "recommendations": items, "editing": editing}


def _recommendations(name: str, anchor: str, limit: int, seconds: int, compute) -> list[Shown]:
    """The list from the cache, or computed by the recommender and cached, for the active version.

    The cache holds product ids and reasons; the products themselves are read on every render,
    and only those the recommender may still show are shown.
    """
    version = recommender_selectors.version_active()
    if version is None:
        return []
    digest = hashlib.sha256(f"{name}|{version.pk}|{anchor}|{limit}".encode()).hexdigest()[:40]
    key = f"ecomcms:block:{digest}"
    cached = cache.get(key)
    if cached is not None:
        eligible = recommender_selectors.products_eligible([pk for pk, _ in cached])
        return [Shown(eligible[pk], reason) for pk, reason in cached if pk in eligible]
    try:
        result = compute(version)
    except (OSError, ValueError):
        # The version's artifact is missing or unreadable: the page is served without this list.
        logger.exception("recommendations for %s %s: version #%s cannot serve", name, anchor, version.pk)
        return []
    cache.set(key, [(item.product.pk, item.reason.text) for item in result.items], seconds)
    return [Shown(item.product, item.reason.text) for item in result.items]
