"""Import or update customer reviews from a CSV or JSON file: `manage.py import_reviews PATH`.

The work is done by ``content.importers.review_bulk_import``; options and output are those of
``import_products``.
"""

from __future__ import annotations

from content import importers
from content.management.commands.import_products import ImportCommand


class Command(ImportCommand):
    help = "Create or update reviews by (SKU, external_id) from a CSV or JSON file (columns: docs/import-formats.md)."
    noun = "reviews"

    def importer(self, **kwargs) -> importers.ImportResult:
        return importers.review_bulk_import(**kwargs)
