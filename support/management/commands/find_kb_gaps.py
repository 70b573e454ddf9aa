"""Find knowledge-base gaps now: cluster recent tickets no article answered well into suggested articles.

    manage.py find_kb_gaps [--days 30] [--threshold 0.5] [--distance 0.5] [--min-tickets 3] [--dry-run]

The same service as the daily beat task ``support.find_kb_gaps``; the settings give the defaults.
With ``--dry-run`` the clusters are printed and nothing is written or queued.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from ecomcms import inference
from support import services


class Command(BaseCommand):
    help = "Cluster recent resolved tickets whose best article scored low into suggested knowledge-base articles."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--threshold", type=float, default=None)
        parser.add_argument("--distance", type=float, default=None)
        parser.add_argument("--min-tickets", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be 1 or more")
        if options["min_tickets"] is not None and options["min_tickets"] < 2:
            raise CommandError("--min-tickets must be 2 or more")
        if options["distance"] is not None and not 0 < options["distance"] <= 2:
            raise CommandError("--distance is a cosine distance between 0 and 2")
        try:
            found = services.kb_gaps_find(days=options["days"], threshold=options["threshold"],
                                          distance=options["distance"], min_size=options["min_tickets"],
                                          dry_run=options["dry_run"])
        except inference.ModelError as exc:
            raise CommandError(f"the embedder is not available: {exc}") from exc
        if options["dry_run"]:
            self.stdout.write(json.dumps(found, indent=2))
            self.stdout.write(f"{len(found)} gaps (dry run: nothing written)")
            return
        for suggestion in found:
            self.stdout.write(f"suggested article {suggestion.pk}: {suggestion.title} "
                              f"({suggestion.tickets.count()} tickets)")
        self.stdout.write(f"{len(found)} suggested articles queued for writing")
