"""Offline evaluation on an order export:
`manage.py evaluate_recommender --events PATH --format online-retail --test-days 30 --k 10 [--json]`."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recommender import services
from recommender.engine.evaluate import format_table


class Command(BaseCommand):
    help = ("Train every recommender and the reference baselines on everything before the last --test-days, "
            "score each customer's purchases in those days @k, print the table (or JSON) and store it as a version.")

    def add_arguments(self, parser):
        parser.add_argument("--events", required=True, metavar="PATH", help="the events file (CSV, optionally .gz)")
        parser.add_argument("--format", choices=["online-retail"], default="online-retail")
        parser.add_argument("--test-days", type=int, default=30)
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="print JSON keyed by recommender instead of a table")

    def handle(self, *args, events, format, test_days, k, **options):
        if test_days < 1 or k < 1:
            raise CommandError("--test-days and --k must be at least 1")
        stream = getattr(self.stderr, "_out", self.stderr)
        bar = tqdm(total=1, desc="evaluate", file=stream)

        def progress(name: str, done: int, total: int) -> None:
            bar.total, bar.n = total, done
            bar.set_description_str(f"evaluate: {name}")
            bar.refresh()

        started = time.perf_counter()
        try:
            results, version = services.model_evaluate_file(path=events, test_days=test_days, k=k, progress=progress)
        except services.RecommenderError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))
        else:
            self.stdout.write(format_table(results, k))
            self.stderr.write(f"{time.perf_counter() - started:.1f} s; stored as version #{version.pk} "
                              "(offline evaluation) with its chart in the admin.")

