"""Measure the review-support check's similarity threshold on the women's clothing reviews."""

from __future__ import annotations

import json as jsonlib

from django.core.management.base import BaseCommand, CommandError

from content import review_evaluation, summaries
from ecomcms import inference
from ecomcms.shared_data import shared_data_path


class Command(BaseCommand):
    help = ("Precision and recall of the review-support check per similarity threshold, on "
            "../shared/data/reviews/womens_clothing (own product's reviews vs another product of the same class).")

    def add_arguments(self, parser):
        parser.add_argument("--path", help="The reviews CSV (default: the shared women's clothing file).")
        parser.add_argument("--products", type=int, default=120, help="Products sampled (each with >= 20 reviews).")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--target-precision", type=float, default=0.9,
                            help="Of claims in the reviews vs another product's claims (precision_in_reviews).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, path, products, seed, target_precision, json: bool, **options):
        file = path or shared_data_path("reviews", "womens_clothing", "reviews_dev.csv.gz")
        try:
            by_product = review_evaluation.reviews_load(file)
        except FileNotFoundError as exc:
            raise CommandError(f"no reviews file: {exc}") from exc
        embedder = inference.get_embedder()
        report = review_evaluation.evaluate(by_product, lambda texts: embedder.embed(texts).vectors,
                                            products=products, seed=seed)
        report["model"] = embedder.model_id
        report["current_threshold"] = summaries.SUPPORT_THRESHOLD
        chosen = review_evaluation.threshold_for_precision(report["rows"], target_precision)
        report["chosen"] = chosen
        if json:
            self.stdout.write(_json_dumps(report))
            return
        self.stdout.write(f"{report['products']} products, {report['claims']} claims, {report['extractive_claims']} "
                          f"extractive summary claims, model {report['model']}, seed {seed}")
        self.stdout.write(f"median best similarity: own product {report['own_median']:.3f}, "
                          f"other product of the class {report['other_median']:.3f}")
        self.stdout.write("| threshold | own vs same-class precision | own recall | other product flagged | "
                          "other class flagged | extractive passed (recall) | precision in reviews |")
        self.stdout.write("| --- | --- | --- | --- | --- | --- | --- |")
        for row in report["rows"]:
            self.stdout.write(
                f"| {row['threshold']:.2f} | {row['precision']:.3f} | {row['recall']:.3f} | "
                f"{row['other_flagged']:.3f} | {row['other_class_flagged']:.3f} | {row['extractive_passed']:.3f} | "
                f"{row['precision_in_reviews']:.3f} |"
            )
        if chosen:
            self.stdout.write(
                f"lowest threshold with precision in reviews >= {target_precision}: {chosen['threshold']:.2f} "
                f"(precision {chosen['precision_in_reviews']:.3f}, recall {chosen['extractive_passed']:.3f}, "
                f"another product's claims flagged {chosen['other_flagged']:.3f})"
            )
        else:
            self.stdout.write(f"no threshold reaches precision {target_precision}")


def _json_dumps(report: dict) -> str:
    return jsonlib.dumps(report, indent=2)
