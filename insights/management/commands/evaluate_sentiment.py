"""Measure the sentiment model against the cue words on held-out products: `manage.py evaluate_sentiment`."""

from __future__ import annotations

import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from ecomcms import inference
from ecomcms.shared_data import shared_data_path
from insights import sentiment_training as training
from support import triage


class Command(BaseCommand):
    help = ("Accuracy and macro-F1 of the sentiment recipes and the cue words on the same held-out products "
            "(ratings 1-2 negative, 3 neutral, 4-5 positive), over several product splits.")

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Reviews CSV (default: the shared women's clothing file).")
        parser.add_argument("--seeds", type=int, default=5, help="Product splits (seeds 0..N-1).")
        parser.add_argument("--test-share", type=float, default=0.2, help="Share of products held out for test.")
        parser.add_argument("--limit", type=int, default=0, help="Use only the first N reviews (0: all).")
        parser.add_argument("--resamples", type=int, default=1000, help="Bootstrap resamples (first seed).")
        parser.add_argument("--recipes", default=",".join(training.RECIPES))
        parser.add_argument("--no-cache", action="store_true", help="Do not keep the embeddings in ECOMCMS_DATA_DIR.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, path, seeds, test_share, limit, resamples, recipes, no_cache, json, **options):
        file = path or shared_data_path("reviews", "womens_clothing", "reviews_dev.csv.gz")
        if seeds < 1 or not 0 < test_share < 1:
            raise CommandError("--seeds must be at least 1 and --test-share between 0 and 1")
        names = [r.strip() for r in recipes.split(",") if r.strip()]
        unknown = [r for r in names if r not in training.RECIPES]
        if unknown:
            raise CommandError(f"unknown recipe {unknown[0]!r}; one of {', '.join(training.RECIPES)}")
        try:
            data = training.dataset_load(file)
        except FileNotFoundError as exc:
            raise CommandError(f"no reviews file: {exc}") from exc
        if limit:
            data = training.Dataset(data.texts[:limit], data.labels[:limit], data.products[:limit])
        embedder = inference.get_embedder()
        vectors = training.embeddings_cached(data.texts, lambda t: embedder.embed(t).vectors, embedder.model_id,
                                             None if no_cache else training.embeddings_cache_dir())
        prototypes = triage.anchor_prototypes(lambda t: embedder.embed(t).vectors)
        report = training.evaluate(data, vectors, prototypes=prototypes, seeds=list(range(seeds)),
                                   test_share=test_share, recipes=names, resamples=resamples)
        report["embedding_model"] = embedder.model_id
        report["path"] = str(file)
        if json:
            self.stdout.write(jsonlib.dumps(report, indent=2))
            return
        shares = ", ".join(f"{k} {v:.1%}" for k, v in report["label_share"].items())
        self.stdout.write(f"{report['reviews']} reviews of {report['products']} products ({shares}); "
                          f"{len(report['seeds'])} splits by product, {test_share:.0%} of products held out; "
                          f"embeddings {report['embedding_model']}")
        self.stdout.write("| method | accuracy (mean ± sd) | macro-F1 (mean ± sd) | accuracy 95% CI, seed 0 | "
                          "macro-F1 95% CI, seed 0 | F1 negative | F1 neutral | F1 positive |")
        self.stdout.write("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, row in report["methods"].items():
            ci = row["interval_first_seed"]
            self.stdout.write(
                f"| {name} | {row['accuracy']['mean']:.3f} ± {row['accuracy']['sd']:.3f} | "
                f"{row['macro_f1']['mean']:.3f} ± {row['macro_f1']['sd']:.3f} | "
                f"{ci['accuracy'][0]:.3f}-{ci['accuracy'][1]:.3f} | {ci['macro_f1'][0]:.3f}-{ci['macro_f1'][1]:.3f} | "
                f"{row['f1_negative']['mean']:.3f} | {row['f1_neutral']['mean']:.3f} | "
                f"{row['f1_positive']['mean']:.3f} |")
