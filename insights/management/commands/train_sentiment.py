"""Train the sentiment model on labelled reviews and save it as a new version: `manage.py train_sentiment`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ecomcms import inference, sentiment as floor
from ecomcms.shared_data import shared_data_path
from insights import sentiment_training as training


class Command(BaseCommand):
    help = ("Fit the sentiment model (a logistic regression on the shared embeddings) on reviews whose stars give "
            "the label, measure it on held-out products, and save it as the next version in "
            "ECOMCMS_DATA_DIR/sentiment (active at once unless --no-activate).")

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Reviews CSV (default: the shared women's clothing file).")
        parser.add_argument("--recipe", default=training.DEFAULT_RECIPE, choices=training.RECIPES)
        parser.add_argument("--seed", type=int, default=0, help="The product split (same as evaluate_sentiment's).")
        parser.add_argument("--test-share", type=float, default=0.2, help="Share of products held out for test.")
        parser.add_argument("--limit", type=int, default=0, help="Use only the first N reviews (0: all).")
        parser.add_argument("--no-activate", action="store_true", help="Save the version without using it.")
        parser.add_argument("--activate", type=int, metavar="VERSION",
                            help="Make an already saved version the active one, and train nothing.")

    def handle(self, *args, path, recipe, seed, test_share, limit, no_activate, activate, **options):
        if activate is not None:
            try:
                floor.activate_version(activate)
            except FileNotFoundError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"sentiment model v{activate} is active"))
            return
        if not 0 < test_share < 1:
            raise CommandError("--test-share must be between 0 and 1")
        file = path or shared_data_path("reviews", "womens_clothing", "reviews_dev.csv.gz")
        try:
            data = training.dataset_load(file)
        except FileNotFoundError as exc:
            raise CommandError(f"no reviews file: {exc}") from exc
        if limit:
            data = training.Dataset(data.texts[:limit], data.labels[:limit], data.products[:limit])
        if len(set(data.products.tolist())) < 5 or len(set(data.labels.tolist())) < 3:
            raise CommandError("too few products or labels to train on (need 5 products and all three classes)")
        embedder = inference.get_embedder()
        vectors = training.embeddings_cached(data.texts, lambda t: embedder.embed(t).vectors, embedder.model_id,
                                             floor.artifact_dir() / "cache")
        classifier = training.train(data, vectors, recipe=recipe, seed=seed, test_share=test_share,
                                    embedding_model=embedder.model_id, source=str(file))
        version = floor.save_version(classifier, activate=not no_activate)
        m, c = classifier.meta["metrics"], classifier.meta["cue_words_metrics"]
        self.stdout.write(self.style.SUCCESS(
            f"sentiment model v{version} ({recipe}) saved{'' if no_activate else ' and active'}: "
            f"{classifier.meta['test_reviews']} reviews of {classifier.meta['test_products']} held-out products: "
            f"accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f} (cue words {c['accuracy']:.3f} / "
            f"{c['macro_f1']:.3f})"))
