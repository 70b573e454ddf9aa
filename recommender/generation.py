"""The recommender's cache generation: what a product's cached recommendation list depends on, besides the catalogue.

The public product lists (``similar``, ``bought-together``) are cached under this generation and
the catalogue's (``content.catalog``: products, stock, published copy), so a list is rebuilt on
the next request after any of: a version activated or rolled back (``model_activate``) or deleted,
a merchandising rule or the shop's settings saved or deleted (receivers connected in
``RecommenderConfig.ready``; the admin edits them one row at a time). A rule that starts or ends
later is honoured at that moment: a cached list holds only until the next start or end of an
active rule (``selectors.rules_next_change``).
"""

from __future__ import annotations

from content.catalog import CATALOG
from ecomcms.caching import generation, generation_bump, generations

RECOMMENDER = "recommender"


def recommendations_changed() -> None:
    generation_bump(RECOMMENDER)


def recommendations_generation() -> int:
    return generation(RECOMMENDER)


def list_generations() -> tuple[int, int]:
    """What a cached product list depends on: the catalogue's generation and the recommender's, in one query."""
    return generations(CATALOG, RECOMMENDER)


def _row_changed(sender, **kwargs) -> None:
    if not kwargs.get("raw"):
        recommendations_changed()


def connect_receivers() -> None:
    from django.db.models.signals import post_delete, post_save

    from recommender.models import MerchandisingRule, ShopSetting

    for model in (MerchandisingRule, ShopSetting):
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"recommendations-changed-save-{model.__name__}")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"recommendations-changed-delete-{model.__name__}")
