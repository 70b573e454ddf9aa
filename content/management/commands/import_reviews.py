"""Import or update customer reviews from a CSV or JSON file: `manage.py import_reviews PATH`.

The work is done by ``content.importers.review_bulk_import``; options and output are those of
``import_products``. Then the sentiment of every review not read yet is read from its text
(``content.review_sentiment``: the trained sentiment model when one is saved, else the cue words);
``--no-sentiment`` leaves that to the monitoring's periodic task.
"""

from __future__ import annotations

from content import importers, review_sentiment
from content.management.commands.import_products import ImportCommand


class Command(ImportCommand):
    help = "Create or update reviews by (SKU, external_id) from a CSV or JSON file (columns: docs/import-formats.md)."
    noun = "reviews"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-sentiment", action="store_true",
                            help="do not read the new reviews' sentiment now (the monitoring task will)")

    def importer(self, **kwargs) -> importers.ImportResult:
        return importers.review_bulk_import(**kwargs)

    def handle(self, *args, no_sentiment=False, **options):
        super().handle(*args, **options)
        if options.get("dry_run") or no_sentiment:
            return
        counts = review_sentiment.reviews_score_sentiment()
        if counts["scored"]:
            self.stdout.write(f"Sentiment read for {counts['scored']} reviews: {counts['model']} by the sentiment "
                              f"model, {counts['cue words']} by the cue words (no model saved for this embedder).")
