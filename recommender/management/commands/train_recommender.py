"""Train a recommender version from the stored events: `manage.py train_recommender [--activate]`."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from recommender import services

STAGES = ["load", "embed", "evaluate", "fit", "save", "done"]


class Command(BaseCommand):
    help = ("Train a new version (blend, bought together, similar items, sessions) from the stored events, "
            "score it offline on a holdout, and save it; --activate makes it serve.")

    def add_arguments(self, parser):
        parser.add_argument("--activate", action="store_true", help="serve the new version once it is trained")
        parser.add_argument("--days", type=int, help="train on the last N days of events only (default: all)")
        parser.add_argument("--feedback", default="purchase",
                            help="comma-separated event types that count as evidence (default: purchase; "
                                 "e.g. purchase,add_to_cart)")
        parser.add_argument("--embeddings", choices=["auto", "require", "off"], default="auto",
                            help="content similarity from product texts (auto: if the embedding model loads)")
        parser.add_argument("--no-evaluate", action="store_true", help="skip the offline holdout evaluation")
        parser.add_argument("--holdout-days", type=int, default=30, help="days held out for the evaluation")
        parser.add_argument("--k", type=int, default=10, help="list length the evaluation scores")
        parser.add_argument("--notes", default="", help="a note stored with the version")

    def handle(self, *args, activate, days, feedback, embeddings, no_evaluate, holdout_days, k, notes, **options):
        for name, value in (("--days", days), ("--holdout-days", holdout_days), ("--k", k)):
            if value is not None and value < 1:
                raise CommandError(f"{name} must be at least 1")
        stream = getattr(self.stderr, "_out", self.stderr)
        overall = tqdm(total=len(STAGES) - 1, desc="train", file=stream, bar_format="{desc}: {n}/{total} stages "
                       "|{bar}| {elapsed}")
        inner: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage in STAGES:
                overall.set_description_str(f"train: {stage}")
                overall.n = STAGES.index(stage)
                overall.refresh()
            if stage in ("embed", "evaluate") and total > 1:
                bar = inner.get(stage) or inner.setdefault(stage, tqdm(total=total, desc=f"  {stage}", file=stream,
                                                                        leave=False))
                bar.total, bar.n = total, done
                bar.refresh()

        since = timezone.now() - timedelta(days=days) if days else None
        try:
            version = services.model_train(
                since=since, feedback=tuple(t.strip() for t in feedback.split(",") if t.strip()),
                embeddings=embeddings, evaluate=not no_evaluate, holdout_days=holdout_days, k=k, activate=activate,
                trigger="command", notes=notes, progress=progress,
            )
        except services.RecommenderError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in inner.values():
                bar.close()
            overall.close()
        self.stdout.write(self.style.SUCCESS(
            f"Version #{version.pk} trained in {version.seconds:.1f} s on {version.n_events} purchase lines "
            f"({version.n_customers} customers, {version.n_items} products)"
            + (", and active." if version.is_active else "; activate it in the admin or with --activate.")
        ))
        if version.metrics:
            from recommender.engine.evaluate import format_table
            from recommender.selectors import in_order

            self.stdout.write(format_table(in_order(version.metrics), k))
        for line in version.notes.splitlines():
            self.stdout.write(self.style.WARNING(line))
