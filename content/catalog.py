"""The storefront catalogue's cache generation: every write that changes what the catalogue shows bumps it.

The catalogue shows active products and their current published copy. The storefront keeps its
rendered pages in Django's cache under this generation (``storefront/catalog.py``), so a bump
makes every cached page of every process stale at once (``ecomcms.caching``). The bumps:

- single-row writes of ``Product`` and ``PublishedCopy`` (the admin, ``save()``, ``delete()``,
  cascades) through the receivers connected in ``ContentConfig.ready``;
- the writes that bypass signals call ``catalog_changed()`` themselves: publishing (it also
  supersedes with a queryset update), the product import's bulk upserts, the order import's
  new products, and the storefront's A/B tests of copy (start and stop).

Code that changes products or published copy with ``QuerySet.update()`` or ``bulk_create()``
must call ``catalog_changed()`` in the same transaction (``services.catalog_changed``).
"""

from __future__ import annotations

from ecomcms.caching import generation, generation_bump

CATALOG = "catalog"


def catalog_changed() -> None:
    """Make every cached catalogue page stale (in the caller's transaction, if any)."""
    generation_bump(CATALOG)


def catalog_generation() -> int:
    """The generation cached catalogue pages are keyed by; read it before reading the catalogue."""
    return generation(CATALOG)


def _row_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: fixtures bump nothing (the tables may not even be complete)
        return
    catalog_changed()


def connect_receivers() -> None:
    from django.db.models.signals import post_delete, post_save

    from content.models import Product, PublishedCopy

    for model in (Product, PublishedCopy):
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"catalog-changed-save-{model.__name__}")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"catalog-changed-delete-{model.__name__}")
