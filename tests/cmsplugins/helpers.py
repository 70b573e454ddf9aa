"""Reading what a rendered block shows."""

from __future__ import annotations

import re

from recommender.models import Event, EventType
from storefront.blocks import VIEW_SOURCE


def slugs_in(html: str, block: str) -> list[str]:
    """The products one list block shows, in order (``block``: bought_together, similar_products,
    recommended_for_you); [] when the block is not on the page."""
    marker = f'class="ecomcms-recommendations ecomcms-{block}"'
    if marker not in html:
        return []
    start = html.index(marker)
    return re.findall(r'<li data-product="([^"]+)"', html[start: html.index("</section>", start)])


def views() -> list[tuple[str, str, str]]:
    """The view events the site's pages recorded: (product slug, session, customer), oldest first."""
    return [(e.product.slug, e.session_id, e.customer_id)
            for e in Event.objects.filter(source=VIEW_SOURCE, type=EventType.VIEW).select_related("product")
            .order_by("pk")]
